package provider

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// NewServer returns the provider's protocol 6 server: the framework's
// server behind a thin layer that lets go of each request's context when
// the request returns.
//
// The framework (v1.19.0, internal/proto6server/serve.go, registerContext)
// keeps the cancel function of every request's context until Terraform
// calls StopProvider, so that StopProvider can cancel what is in flight.
// Each kept function holds its context and, through the context's parents,
// everything the plugin stack hung on it: the SDK's loggers, the request
// id, the gRPC stream and its headers. That is about 12 KB a request and a
// resource costs three or four requests per plan, so the provider's heap
// grew by about 50 MB for each 1,000 users planned and was never given
// back: 505 MB at 5,000 users.
//
// No upstream issue reports this yet (searched hashicorp/terraform-plugin-
// framework for context leaks and StopProvider, 2026). The issue to file:
//
//	proto6server: contextCancels grows by one per RPC and is only emptied by StopProvider
//
//	Server.registerContext appends the cancel function of every request's
//	context to s.contextCancels, and only cancelRegisteredContexts (from
//	StopProvider) empties it. A provider process that serves a large plan
//	keeps every request's context reachable, with its values (loggers, gRPC
//	metadata), until it exits: ~12 KB per RPC, 505 MB for a plan of 5,000
//	resources. Expected: a request's entry is removed when the request
//	returns (e.g. a map keyed by a token, deleted in a defer), so that
//	StopProvider still cancels only what is in flight.
//
// Here the framework gets an rpcContext instead, which answers for the
// request's context while the request runs and forgets it when it returns.
// What the framework keeps is then a few dozen bytes a request, StopProvider
// still cancels requests in flight, and nothing else changes.
//
// Only the calls Terraform makes once per resource instance or data source
// go through this layer; the rest are made a handful of times per run and
// pass through unchanged: among them the identity schemas, list resources
// (ValidateListResourceConfig, ListResource, whose results stream after
// the call returns and so must keep the request's context) and actions
// (ValidateActionConfig, PlanAction, InvokeAction, streamed as well).
func NewServer(version string) func() tfprotov6.ProviderServer {
	return ServerFor(New(version))
}

// ServerFor serves any framework provider as NewServer serves this one. The
// benchmark's stack floor (internal/bench/stackfloor) is served with it, so
// that it differs from this provider only by what the resources do.
func ServerFor(p func() provider.Provider) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		fw, ok := providerserver.NewProtocol6(p())().(frameworkServer)
		if !ok {
			panic("the framework's protocol 6 server does not serve list resources and actions")
		}
		return &server{frameworkServer: fw}
	}
}

// frameworkServer is the framework's server as this provider uses it. The
// protocol's list resource and action calls are still outside
// tfprotov6.ProviderServer (terraform-plugin-go v0.31.0): tf6server finds
// them by asserting these interfaces on the server it is given, so the
// layer below must have them too, or `terraform query` and actions would
// answer "not implemented".
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
}

// tf6server asserts ProviderServerWithListResource and
// ProviderServerWithActions, which are ProviderServer with these two (and
// deprecated, to be folded into ProviderServer).
var (
	_ tfprotov6.ListResourceServer = &server{}
	_ tfprotov6.ActionServer       = &server{}
)

type server struct {
	frameworkServer
}

// during calls f with an rpcContext for ctx that lets go of ctx when f returns.
func during[Req, Resp any](ctx context.Context, f func(context.Context, Req) (Resp, error), req Req) (Resp, error) {
	rc := newRPCContext(ctx)
	defer rc.release()
	return f(rc, req)
}

func (s *server) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return during(ctx, s.frameworkServer.ValidateResourceConfig, req)
}

func (s *server) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return during(ctx, s.frameworkServer.UpgradeResourceState, req)
}

func (s *server) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return during(ctx, s.frameworkServer.ReadResource, req)
}

func (s *server) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return during(ctx, s.frameworkServer.PlanResourceChange, req)
}

func (s *server) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return during(ctx, s.frameworkServer.ApplyResourceChange, req)
}

func (s *server) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return during(ctx, s.frameworkServer.ImportResourceState, req)
}

func (s *server) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return during(ctx, s.frameworkServer.MoveResourceState, req)
}

func (s *server) UpgradeResourceIdentity(ctx context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return during(ctx, s.frameworkServer.UpgradeResourceIdentity, req)
}

func (s *server) GenerateResourceConfig(ctx context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return during(ctx, s.frameworkServer.GenerateResourceConfig, req)
}

func (s *server) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return during(ctx, s.frameworkServer.ValidateDataResourceConfig, req)
}

func (s *server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return during(ctx, s.frameworkServer.ReadDataSource, req)
}

// rpcContext is a request's context whose values are gone once the request
// has returned. Deadline and Done are the request's, so a context derived
// from an rpcContext ends with the request; Value answers as the request's
// context does while the request runs (the framework's loggers, the SDK's
// request id) and with nil after, so that what the framework keeps of an
// rpcContext holds nothing of the request. Err is the request's always:
// once released, the request's context reports its own error when it ends
// (context.AfterFunc), so a deadline that passed reads as DeadlineExceeded,
// not Canceled.
type rpcContext struct {
	deadline    time.Time
	hasDeadline bool
	done        <-chan struct{}
	ctx         atomic.Pointer[context.Context] // nil once released
	err         atomic.Pointer[error]           // the request's error, once released and ended
	ended       chan struct{}                   // closed once err is set
}

func newRPCContext(ctx context.Context) *rpcContext {
	rc := &rpcContext{done: ctx.Done(), ended: make(chan struct{})}
	rc.deadline, rc.hasDeadline = ctx.Deadline()
	rc.ctx.Store(&ctx)
	return rc
}

// release forgets the request's context. The function AfterFunc keeps is
// held by the request's context, not by rc, and goes when that context ends.
func (rc *rpcContext) release() {
	ctx := *rc.ctx.Load()
	rc.ctx.Store(nil)
	context.AfterFunc(ctx, func() {
		err := ctx.Err()
		rc.err.Store(&err)
		close(rc.ended)
	})
}

func (rc *rpcContext) Deadline() (time.Time, bool) { return rc.deadline, rc.hasDeadline }

func (rc *rpcContext) Done() <-chan struct{} { return rc.done }

func (rc *rpcContext) Err() error {
	if ctx := rc.ctx.Load(); ctx != nil {
		return (*ctx).Err()
	}
	select {
	case <-rc.done: // rc.done is nil for a context that is never canceled
	default:
		return nil
	}
	<-rc.ended // AfterFunc's function runs as soon as done is closed
	return *rc.err.Load()
}

func (rc *rpcContext) Value(key any) any {
	if ctx := rc.ctx.Load(); ctx != nil {
		return (*ctx).Value(key)
	}
	return nil
}
