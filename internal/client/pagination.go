package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"strconv"
)

// MaxPageSize is the largest page_size the API accepts; ListAll methods use it.
const MaxPageSize = 500

// ErrPageTokenRepeated is the error of a listing whose cursor does not
// advance: the server answered a page token it had already given.
var ErrPageTokenRepeated = errors.New("portal API: pagination cursor did not advance")

// Pages walks a cursor-paginated list: it calls fetch with "" and then with
// each next page token until one is "", yielding every item. It yields an
// error and stops when fetch fails, when ctx is done, or when a page token
// repeats one already used, so a cursor that does not advance cannot loop
// for ever. Stopping the iteration early stops the fetching.
func Pages[T any](ctx context.Context, fetch func(ctx context.Context, pageToken string) (items []T, next string, err error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[string]bool{}
		token := ""
		for page := 1; ; page++ {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			items, next, err := fetch(ctx, token)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			seen[token] = true
			if seen[next] {
				yield(zero, fmt.Errorf("%w: page %d gave the page token %q again", ErrPageTokenRepeated, page, next))
				return
			}
			token = next
		}
	}
}

// Collect gathers the items of seq, stopping at its first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var all []T
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		all = append(all, item)
	}
	return all, nil
}

// listAll fetches every page of a list route with the largest page size.
// query holds the route's filters; split takes the items and the next page
// token out of one page L.
func listAll[T, L any](ctx context.Context, c *Client, path string, query url.Values, split func(*L) ([]T, string)) ([]T, error) {
	return Collect(Pages(ctx, func(ctx context.Context, token string) ([]T, string, error) {
		q := maps.Clone(query)
		if q == nil {
			q = url.Values{}
		}
		q.Set("page_size", strconv.Itoa(MaxPageSize))
		q.Del("page_token")
		if token != "" {
			q.Set("page_token", token)
		}
		page, err := doJSON[L](ctx, c, get(path, q))
		if err != nil {
			return nil, "", err
		}
		items, next := split(page)
		return items, next, nil
	}))
}

// ListOptions page a list that has no filters.
type ListOptions struct {
	// PageSize is 1 to 500; 0 means the server's default (100).
	PageSize int
	// PageToken is the next_page_token of the previous page; "" for the first.
	PageToken string
}

// pageQuery starts the query of a list route.
func pageQuery(size int, token string) url.Values {
	q := url.Values{}
	if size > 0 {
		q.Set("page_size", strconv.Itoa(size))
	}
	setIf(q, "page_token", token)
	return q
}

func setIf(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}
