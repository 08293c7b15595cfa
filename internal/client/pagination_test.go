package client

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// page is one page of a fake list: its items and the next page token.
type page struct {
	items []int
	next  string
}

// pagedFetch serves pages by page token and records the tokens asked for.
func pagedFetch(pages map[string]page, asked *[]string) func(context.Context, string) ([]int, string, error) {
	return func(_ context.Context, token string) ([]int, string, error) {
		*asked = append(*asked, token)
		if len(*asked) > 10 {
			return nil, "", errors.New("fetched more than 10 pages")
		}
		p := pages[token]
		return p.items, p.next, nil
	}
}

func TestPagesAcrossPages(t *testing.T) {
	var asked []string
	fetch := pagedFetch(map[string]page{"": {[]int{1, 2}, "b"}, "b": {nil, "c"}, "c": {[]int{3}, ""}}, &asked)
	got, err := Collect(Pages(context.Background(), fetch))
	if err != nil || !slices.Equal(got, []int{1, 2, 3}) || !slices.Equal(asked, []string{"", "b", "c"}) {
		t.Fatalf("Collect = %v, %v asking %q; want [1 2 3] asking \"\", b, c", got, err, asked)
	}
}

func TestPagesRepeatedTokenFails(t *testing.T) {
	for name, pages := range map[string]map[string]page{
		"stuck": {"": {[]int{1}, "a"}, "a": {[]int{2}, "a"}},
		"cycle": {"": {[]int{1}, "a"}, "a": {[]int{2}, "b"}, "b": {[]int{3}, "a"}},
	} {
		var asked []string
		got, err := Collect(Pages(context.Background(), pagedFetch(pages, &asked)))
		if !errors.Is(err, ErrPageTokenRepeated) || got != nil || len(asked) > 3 {
			t.Errorf("%s: Collect = %v, %v after %d fetches; want ErrPageTokenRepeated", name, got, err, len(asked))
		}
	}
}

func TestPagesStopsWhenAsked(t *testing.T) {
	var asked []string
	fetch := pagedFetch(map[string]page{"": {[]int{1, 2}, "b"}, "b": {[]int{3}, ""}}, &asked)
	for v, err := range Pages(context.Background(), fetch) {
		if err != nil || v != 1 {
			t.Fatalf("first = %v, %v", v, err)
		}
		break
	}
	if len(asked) != 1 {
		t.Errorf("fetched %d pages after stopping at the first item, want 1", len(asked))
	}
}

func TestPagesFetchErrorAndCanceledContext(t *testing.T) {
	boom := errors.New("boom")
	_, err := Collect(Pages(context.Background(), func(context.Context, string) ([]int, string, error) { return nil, "", boom }))
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Collect(Pages(ctx, func(context.Context, string) ([]int, string, error) { return []int{1}, "", nil }))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestUsersListAllFollowsCursor(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("page_size") != "500" || q.Get("role") != "admin" || q.Get("include_deleted") != "true" {
			writeProblem(w, http.StatusBadRequest, api.CodeInvalidRequest, "bad query "+r.URL.RawQuery)
			return
		}
		n, _ := strconv.Atoi(q.Get("page_token")) // "" is page 0
		list := api.UserList{Users: []api.User{{ID: "u_" + strconv.Itoa(2*n)}, {ID: "u_" + strconv.Itoa(2*n+1)}}}
		if n < 2 {
			list.NextPageToken = strconv.Itoa(n + 1)
		}
		writeJSON(w, http.StatusOK, list)
	})
	users, err := c.Users.ListAll(context.Background(), "p_1", api.UserListOptions{Role: "admin", IncludeDeleted: true, PageSize: 3, PageToken: "9"})
	if err != nil {
		t.Fatalf("ListAll: %v", err)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	if want := []string{"u_0", "u_1", "u_2", "u_3", "u_4", "u_5"}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
}
