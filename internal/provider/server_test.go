package provider

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

type payloadKey struct{}

// TestServerLetsGoOfRequestContexts: once a request has returned, nothing
// the server keeps may hold the request's context. The framework's own
// server fails this for every call below (it keeps each request's cancel
// function until StopProvider), which is what grew a 5,000-user plan to
// 505 MB.
func TestServerLetsGoOfRequestContexts(t *testing.T) {
	srv := NewServer("test")()
	calls := map[string]func(context.Context){
		"ValidateResourceConfig":     rpc(srv.ValidateResourceConfig, &tfprotov6.ValidateResourceConfigRequest{TypeName: "portal_partner_user"}),
		"UpgradeResourceState":       rpc(srv.UpgradeResourceState, &tfprotov6.UpgradeResourceStateRequest{TypeName: "portal_partner_user"}),
		"ReadResource":               rpc(srv.ReadResource, &tfprotov6.ReadResourceRequest{TypeName: "portal_partner_user"}),
		"PlanResourceChange":         rpc(srv.PlanResourceChange, &tfprotov6.PlanResourceChangeRequest{TypeName: "portal_partner_user"}),
		"ApplyResourceChange":        rpc(srv.ApplyResourceChange, &tfprotov6.ApplyResourceChangeRequest{TypeName: "portal_partner_user"}),
		"ValidateDataResourceConfig": rpc(srv.ValidateDataResourceConfig, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: "portal_roles"}),
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			collected := make(chan struct{})
			call(requestContext(t, collected))
			for range 100 {
				runtime.GC()
				select {
				case <-collected:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
			t.Fatal("the request's context is still reachable after the request returned")
		})
	}
}

// rpc is a call of f with req whose answer is dropped.
func rpc[Req, Resp any](f func(context.Context, *Req) (*Resp, error), req *Req) func(context.Context) {
	return func(ctx context.Context) { _, _ = f(ctx, req) }
}

// requestContext returns a canceled request context that carries a value
// whose collection closes collected.
func requestContext(t *testing.T, collected chan struct{}) context.Context {
	payload := new([64 << 10]byte)
	runtime.AddCleanup(payload, func(c chan struct{}) { close(c) }, collected)
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), payloadKey{}, payload))
	cancel() // as gRPC does once the request's answer is written
	return ctx
}

func TestRPCContextIsTheRequestsUntilReleased(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	request, cancelRequest := context.WithDeadline(context.WithValue(t.Context(), payloadKey{}, "v"), deadline)
	defer cancelRequest()
	rc := newRPCContext(request)

	if got := rc.Value(payloadKey{}); got != "v" {
		t.Errorf("Value during the request = %v, want the request's value", got)
	}
	if got, ok := rc.Deadline(); !ok || !got.Equal(deadline) {
		t.Errorf("Deadline = %v, %v; want %v, true", got, ok, deadline)
	}
	derived, cancelDerived := context.WithCancel(rc)
	defer cancelDerived()

	rc.release()
	if got := rc.Value(payloadKey{}); got != nil {
		t.Errorf("Value after release = %v, want nil", got)
	}
	if err := rc.Err(); err != nil {
		t.Errorf("Err after release, request still open = %v, want nil", err)
	}
	select {
	case <-derived.Done():
		t.Fatal("a derived context ended before the request did")
	default:
	}

	cancelRequest()
	select {
	case <-derived.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a context derived during the request did not end with the request")
	}
	if err := rc.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after the request ended = %v, want context.Canceled", err)
	}
	if rc.Done() != request.Done() {
		t.Error("Done is not the request's channel")
	}
}

func TestRPCContextOfAContextThatNeverEnds(t *testing.T) {
	rc := newRPCContext(context.Background())
	rc.release()
	if rc.Done() != nil || rc.Err() != nil {
		t.Errorf("Done = %v, Err = %v; want nil, nil as context.Background has", rc.Done(), rc.Err())
	}
	if _, ok := rc.Deadline(); ok {
		t.Error("Deadline reported one that the request did not have")
	}
}

// TestRPCContextErrAfterRelease: once released, Err still says why the
// request ended: a deadline that passed is DeadlineExceeded, a cancel is
// Canceled, as the request's own context says.
func TestRPCContextErrAfterRelease(t *testing.T) {
	t.Run("deadline passes after release", func(t *testing.T) {
		request, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		rc := newRPCContext(request)
		rc.release()
		<-rc.Done()
		if err := rc.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Err = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("deadline passed before release", func(t *testing.T) {
		request, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
		defer cancel()
		rc := newRPCContext(request)
		rc.release()
		if err := rc.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Err = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("canceled before its deadline", func(t *testing.T) {
		request, cancel := context.WithTimeout(t.Context(), time.Hour)
		rc := newRPCContext(request)
		rc.release()
		cancel()
		<-rc.Done()
		if err := rc.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("Err = %v, want context.Canceled", err)
		}
	})
}

// TestServerServesListResourcesAndIdentity: tf6server serves list
// resources and actions only from a server that has their methods, so the
// layer must pass them through, with the identity schemas, to the framework.
func TestServerServesListResourcesAndIdentity(t *testing.T) {
	srv := NewServer("test")()
	lists, ok := srv.(tfprotov6.ProviderServerWithListResource) //nolint:staticcheck // what tf6server asserts (terraform-plugin-go v0.31.0)
	if !ok {
		t.Fatal("the server does not serve list resources: terraform query would answer that they are not implemented")
	}
	if _, ok := srv.(tfprotov6.ProviderServerWithActions); !ok { //nolint:staticcheck // what tf6server asserts
		t.Fatal("the server does not serve actions")
	}
	ctx := context.Background()
	schema, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schema.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schema.Diagnostics)
	}
	for _, name := range []string{"portal_partner_user", "portal_partner_invite", "portal_role"} {
		if schema.ListResourceSchemas[name] == nil {
			t.Errorf("no list resource %s in the provider's schema", name)
		}
	}
	ids, err := srv.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil || len(ids.Diagnostics) > 0 {
		t.Fatalf("GetResourceIdentitySchemas: %v %v", err, ids.Diagnostics)
	}
	want := map[string][]string{
		"portal_partner_user": {"id", "partner_id"}, "portal_partner_invite": {"id", "partner_id"},
		"portal_role_assignment": {"partner_id", "role", "user_id"}, "portal_role": {"key", "partner_id"}, "portal_partner_roster": {"partner_id"},
	}
	for typ, attrs := range want {
		var got []string
		if s := ids.IdentitySchemas[typ]; s != nil {
			for _, a := range s.IdentityAttributes {
				got = append(got, a.Name)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, attrs) {
			t.Errorf("identity of %s: %v, want %v", typ, got, attrs)
		}
	}
	valid, err := lists.ValidateListResourceConfig(ctx, &tfprotov6.ValidateListResourceConfigRequest{TypeName: "portal_partner_user"})
	if err != nil || valid == nil {
		t.Fatalf("ValidateListResourceConfig: %v", err)
	}
}
