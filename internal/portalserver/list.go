package portalserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// list is how every list route serves a page: newList (or partnerList)
// reads page_size and page_token, the route reads its own filters and adds
// them as SQL conditions, fetchPage runs one query for one item more than
// the page, and pageOf cuts the page and names the next one.
type list struct {
	query
	v        *view
	tokens   pageTokens
	size     int
	after    string // the key of the previous page's last item; "" on the first page
	tokenErr error  // a page_token this server did not issue for this list
	where    []string
	args     []any
}

func (s *Server) newList(r *http.Request) *list {
	l := &list{query: query{r: r}, v: s.view(r), tokens: pageTokens{key: s.db.pageTokenKey, list: r.URL.Path}}
	l.size = l.pageSize()
	l.after, l.tokenErr = l.tokens.decode(l.str("page_token"))
	return l
}

// partnerList is newList for a list of the route partner's objects, which
// the principal must see and hold perm on.
func (s *Server) partnerList(r *http.Request, p *principal, perm string) (*list, error) {
	l := s.newList(r)
	id := r.PathValue("partner_id")
	if _, err := l.v.partnerFor(p, id, perm); err != nil {
		return nil, err
	}
	l.filter("partner_id = ?", id)
	return l, nil
}

// filter adds a condition, whose values are ? arguments.
func (l *list) filter(cond string, args ...any) {
	l.where = append(l.where, cond)
	l.args = append(l.args, args...)
}

// err reports bad query parameters, then a bad page token, as a 400.
func (l *list) err() error {
	if err := l.query.err(); err != nil {
		return err
	}
	return l.tokenErr
}

// keyset is the order of a list: a unique column, ascending or descending.
type keyset struct {
	column string
	desc   bool
}

// fetchPage runs `selectFrom WHERE <filters> AND <after the cursor> ORDER BY
// <key> LIMIT size+1` and scans each row. Every value is a ? argument.
func fetchPage[T any](l *list, selectFrom string, order keyset, scan func(scanner) (T, error)) ([]T, error) {
	where, args := l.where, l.args
	if l.after != "" {
		cmp := " > ?"
		if order.desc {
			cmp = " < ?"
		}
		where, args = append(where, order.column+cmp), append(args, l.after)
	}
	q := selectFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + order.column
	if order.desc {
		q += " DESC"
	}
	rows, err := l.v.query(q+" LIMIT ?", append(args, l.size+1)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []T
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, rows.Err()
}

// pageOf cuts items, fetched up to one more than the page, to the page, and
// returns the next page's token: "" when this page is the last.
func pageOf[T any](l *list, items []T, key func(T) string) ([]T, string) {
	if items == nil {
		items = []T{}
	}
	if len(items) <= l.size {
		return items, ""
	}
	items = items[:l.size]
	return items, l.tokens.encode(key(items[l.size-1]))
}

// pageTokens are the cursors of one list, opaque to callers: the last key
// of a page, and an HMAC-SHA256 over it and the list's path with the
// portal's page token key, so the server accepts only the tokens it issued,
// and each only on the list it came from.
type pageTokens struct {
	key  []byte
	list string // the list's URL path
}

// pageTokenMACSize is how much of the HMAC a token carries: 128 bits.
const pageTokenMACSize = 16

func (t pageTokens) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(t.list + "\n"))
	m.Write(payload)
	return m.Sum(nil)[:pageTokenMACSize]
}

// encode is the token of the page after the one ending at last.
func (t pageTokens) encode(last string) string {
	payload := []byte("v1:" + last)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(t.mac(payload))
}

// decode is the last key of the previous page; "" for no token.
func (t pageTokens) decode(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	refused := badRequest("page_token", "page_token is not one this server issued for this list; start again without it")
	p, m, found := strings.Cut(tok, ".")
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if !found || err1 != nil || err2 != nil || !hmac.Equal(mac, t.mac(payload)) {
		return "", refused
	}
	last, ok := strings.CutPrefix(string(payload), "v1:")
	if !ok {
		return "", refused
	}
	return last, nil
}
