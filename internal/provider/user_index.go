package provider

import (
	"context"
	"errors"
	"sync"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// userIndex is one run's shared read of a partner's users. Refreshing N
// users one GET each costs N requests; instead the first Read of a user of a
// partner lists all that partner's users (removed ones too) page by page,
// 500 a page, and every other Read in the run is answered from that list.
// Readers that arrive while the list is being read wait for it rather than
// read it again. Changes the run makes itself override the list, so it never
// answers with anything older than the run's own writes; a user the list
// did not return is read with a single GET.
//
// A provider process serves one Terraform command (plan, apply, import), so
// the list is as fresh as that command.
type userIndex struct {
	mu       sync.Mutex
	partners map[string]*partnerUsers
	auth     *tokenRefusal // the run's refused token, if any; nil in tests
}

type partnerUsers struct {
	done  chan struct{}       // closed once the list is read (or failed)
	users map[string]api.User // nil when the listing failed: reads then use GET
	// refused is the listing's 401: the token is wrong, so reads fail with
	// it rather than try a GET each.
	refused error
	// written holds the run's own changes: a user, or nil for "changed in a
	// way the list cannot tell; read it again".
	written map[string]*api.User
}

func newUserIndex(auth *tokenRefusal) *userIndex {
	return &userIndex{partners: map[string]*partnerUsers{}, auth: auth}
}

// get returns a user of the partner as of this run.
func (x *userIndex) get(ctx context.Context, c *client.Client, partnerID, userID string) (*api.User, error) {
	pu := x.load(ctx, c, partnerID)
	select {
	case <-pu.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	x.mu.Lock()
	u, written := pu.written[userID]
	listed, inList := pu.users[userID]
	x.mu.Unlock()
	switch {
	case written && u != nil:
		cp := *u
		return &cp, nil
	case !written && inList:
		return &listed, nil
	case pu.refused != nil:
		return nil, x.auth.note(pu.refused)
	}
	if err := x.auth.check(); err != nil {
		return nil, err
	}
	got, err := c.Users.Get(ctx, partnerID, userID)
	return got, x.auth.note(err)
}

// all returns every user of the partner (removed ones too) by id, as of
// this run: the shared listing with the run's own writes over it. When the
// listing failed (or the run wrote to the partner before listing it), it
// lists again, and fails with that listing's error.
func (x *userIndex) all(ctx context.Context, c *client.Client, partnerID string) (map[string]api.User, error) {
	pu := x.load(ctx, c, partnerID)
	select {
	case <-pu.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if pu.refused != nil {
		return nil, x.auth.note(pu.refused)
	}
	x.mu.Lock()
	listed := pu.users
	users := make(map[string]api.User, len(listed)+len(pu.written))
	for id, u := range listed {
		users[id] = u
	}
	var reread []string
	for id, u := range pu.written {
		if u == nil {
			reread = append(reread, id)
			continue
		}
		users[id] = *u
	}
	x.mu.Unlock()
	if listed == nil {
		if err := x.auth.check(); err != nil {
			return nil, err
		}
		list, err := c.Users.ListAll(ctx, partnerID, api.UserListOptions{IncludeDeleted: true})
		if err != nil {
			return nil, x.auth.note(err)
		}
		users = make(map[string]api.User, len(list))
		for _, u := range list {
			users[u.ID] = u
		}
		return users, nil
	}
	for _, id := range reread {
		u, err := c.Users.Get(ctx, partnerID, id)
		switch {
		case errors.Is(err, client.ErrNotFound):
			delete(users, id)
		case err != nil:
			return nil, x.auth.note(err)
		default:
			users[id] = *u
		}
	}
	return users, nil
}

// load starts reading the partner's users once per run and returns its entry.
func (x *userIndex) load(ctx context.Context, c *client.Client, partnerID string) *partnerUsers {
	x.mu.Lock()
	pu, ok := x.partners[partnerID]
	if ok {
		x.mu.Unlock()
		return pu
	}
	pu = &partnerUsers{done: make(chan struct{}), written: map[string]*api.User{}}
	x.partners[partnerID] = pu
	x.mu.Unlock()

	var (
		list []api.User
		err  = x.auth.check()
	)
	if err == nil {
		list, err = c.Users.ListAll(ctx, partnerID, api.UserListOptions{IncludeDeleted: true})
	}
	users := make(map[string]api.User, len(list))
	for _, u := range list {
		users[u.ID] = u
	}
	if errors.Is(err, client.ErrUnauthenticated) {
		pu.refused = err // reported by the reads, once in full (tokenRefusal)
	}
	if err != nil {
		// Not fatal: each user is then read with its own GET, which reports
		// any real problem with the object in question.
		tflog.Warn(ctx, "listing the partner's users failed; reading users one by one", map[string]any{"partner_id": partnerID, "error": err.Error()})
		users = nil
	} else {
		tflog.Debug(ctx, "read the partner's users in one listing", map[string]any{"partner_id": partnerID, "users": len(list)})
	}
	x.mu.Lock()
	pu.users = users
	x.mu.Unlock()
	close(pu.done)
	return pu
}

// wrote records a user as this run changed it.
func (x *userIndex) wrote(u *api.User) {
	cp := *u
	x.note(u.PartnerID, u.ID, &cp)
}

// changed records that this run changed a user in a way the list cannot
// tell (a grant, a removal): later reads of it use a GET.
func (x *userIndex) changed(partnerID, userID string) { x.note(partnerID, userID, nil) }

// note records a write. A partner not listed yet in this run gets no listing
// afterwards (its reads use GET), so a listing is only ever trusted when it
// started before the run wrote to that partner, and the writes override it.
func (x *userIndex) note(partnerID, userID string, u *api.User) {
	x.mu.Lock()
	defer x.mu.Unlock()
	pu, ok := x.partners[partnerID]
	if !ok {
		pu = &partnerUsers{done: make(chan struct{}), written: map[string]*api.User{}}
		close(pu.done)
		x.partners[partnerID] = pu
	}
	pu.written[userID] = u
}
