package portalserver_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
	"github.com/partnerportal/terraform-provider-portal/internal/portaltest"
)

// Several portald on one database behave as one portal. On SQLite the
// replicas share one file; with PORTAL_TEST_ENGINE=postgres, one PostgreSQL
// database, where no lock in a process orders their writes.

// replica is another portald on the world's database.
func (w *world) replica() *world {
	return &world{Env: w.Replica(w.t), t: w.t}
}

// together runs each function at once, in its own goroutine, and waits for all.
func together(fns ...func()) {
	var start, done sync.WaitGroup
	start.Add(1)
	for _, fn := range fns {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			fn()
		}()
	}
	start.Done()
	done.Wait()
}

func TestReplicasRetryOnAnotherReplicaReplays(t *testing.T) {
	a := newWorld(t)
	b := a.replica()
	users := a.usersPath(a.PartnerID)
	body := api.UserCreate{Email: "once@acme.test", Roles: []string{api.RoleMember}}
	first := a.Do(t, a.OwnerToken, http.MethodPost, users, body, "Idempotency-Key", "lost-answer")
	wantStatus(t, first, http.StatusCreated)
	again := b.Do(t, b.OwnerToken, http.MethodPost, users, body, "Idempotency-Key", "lost-answer")
	wantStatus(t, again, http.StatusCreated)
	wantReplay(t, first.Body, again.Body, again.Status, again.Header)
	wantProblem(t, b.Do(t, b.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "other@acme.test"}, "Idempotency-Key", "lost-answer"),
		http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused)
}

func TestReplicasConcurrentRetriesMakeOneUser(t *testing.T) {
	a := newWorld(t)
	replicas := []*world{a, a.replica(), a.replica()}
	users := a.usersPath(a.PartnerID)
	const each = 4
	answers := make([][]byte, len(replicas)*each)
	statuses := make([]int, len(answers))
	var fns []func()
	for i := range answers {
		w := replicas[i%len(replicas)]
		fns = append(fns, func() {
			res := w.Do(t, w.OwnerToken, http.MethodPost, users, api.UserCreate{Email: "race@acme.test"}, "Idempotency-Key", "one-key")
			answers[i], statuses[i] = res.Body, res.Status
		})
	}
	together(fns...)
	var ids []string
	for i, body := range answers {
		if statuses[i] != http.StatusCreated {
			t.Fatalf("request %d: %d %s, want 201 (the first answer or its replay)", i, statuses[i], body)
		}
		var u api.User
		if err := json.Unmarshal(body, &u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one Idempotency-Key answered users %v: want one", ids)
		}
	}
	if got := a.listUsers("?email=race@acme.test"); len(got) != 1 {
		t.Fatalf("users with the email: %d, want 1", len(got))
	}
}

// The email is unique across the portal: two creates of one email in one
// partner, or in two (whose changes run side by side), make one user.
func TestReplicasOneEmailTwoCreatesOneWins(t *testing.T) {
	a := newWorld(t)
	b := a.replica()
	other, otherOwner := a.partner("Globex", "owner@globex.test")
	for round := range 10 {
		email := "same" + strconv.Itoa(round) + "@acme.test"
		pathB, tokenB := a.usersPath(a.PartnerID), b.OwnerToken
		if round%2 == 1 {
			pathB, tokenB = a.usersPath(other), otherOwner
		}
		var ra, rb int
		together(
			func() {
				ra = a.Do(t, a.OwnerToken, http.MethodPost, a.usersPath(a.PartnerID), api.UserCreate{Email: email}).Status
			},
			func() {
				rb = b.Do(t, tokenB, http.MethodPost, pathB, api.UserCreate{Email: "SAME" + strconv.Itoa(round) + "@Acme.test"}).Status
			},
		)
		if ra+rb != http.StatusCreated+http.StatusConflict {
			t.Fatalf("round %d: answers %d and %d, want one 201 and one 409", round, ra, rb)
		}
		var holders int
		for _, u := range a.listUsers("") {
			if strings.EqualFold(u.Email, email) {
				holders++
			}
		}
		var inOther api.UserList
		a.Do(t, a.OperatorToken, http.MethodGet, a.usersPath(other)+"?email="+email, nil).Decode(t, &inOther)
		if holders+len(inOther.Users) != 1 {
			t.Fatalf("round %d: %d users hold %s in Acme, %d in Globex, want 1 in all", round, holders, email, len(inOther.Users))
		}
	}
}

func TestReplicasTwoWritersOneVersionOneGets412(t *testing.T) {
	a := newWorld(t)
	b := a.replica()
	u := a.user(a.PartnerID, "edited@acme.test", api.RoleMember)
	path := a.usersPath(a.PartnerID) + "/" + u.ID
	version := u.Version
	for round := range 5 {
		var ra, rb int
		ifMatch := `"` + strconv.FormatInt(version, 10) + `"`
		together(
			func() {
				ra = a.Do(t, a.OwnerToken, http.MethodPatch, path, api.UserUpdate{FirstName: ptr("A" + strconv.Itoa(round))}, "If-Match", ifMatch).Status
			},
			func() {
				rb = b.Do(t, b.OwnerToken, http.MethodPatch, path, api.UserUpdate{FirstName: ptr("B" + strconv.Itoa(round))}, "If-Match", ifMatch).Status
			},
		)
		if ra+rb != http.StatusOK+http.StatusPreconditionFailed {
			t.Fatalf("round %d: answers %d and %d to two changes of version %d, want one 200 and one 412", round, ra, rb, version)
		}
		var now api.User
		b.Do(t, b.OwnerToken, http.MethodGet, path, nil).Decode(t, &now)
		want := "A"
		if rb == http.StatusOK {
			want = "B"
		}
		if now.Version != version+1 || now.FirstName != want+strconv.Itoa(round) {
			t.Fatalf("round %d: version %d first_name %q, want version %d and the winner's %s%d", round, now.Version, now.FirstName, version+1, want, round)
		}
		version = now.Version
	}
}

func TestReplicasShareTheTestClockAndTheOutbox(t *testing.T) {
	a := newWorld(t)
	b := a.replica()
	var before api.Clock
	b.Do(t, "", http.MethodGet, "/v1/dev/clock", nil).Decode(t, &before)
	a.advance(48 * time.Hour)
	var after api.Clock
	b.Do(t, "", http.MethodGet, "/v1/dev/clock", nil).Decode(t, &after)
	if moved := after.Now.Sub(before.Now); moved < 48*time.Hour || moved > 49*time.Hour {
		t.Fatalf("the clock of the other replica moved %s, want 48h", moved)
	}

	inv := a.invite(api.InviteCreate{Email: "mailed@acme.test", Roles: []string{api.RoleMember}, LifetimeSeconds: 3600})
	if m := b.lastMail("mailed@acme.test"); m.Kind != "invite" || m.Link == "" {
		t.Fatalf("the other replica's outbox: %+v, want the invite's mail", m)
	}
	b.advance(2 * time.Hour)
	var got api.Invite
	a.Do(t, a.OwnerToken, http.MethodGet, a.invitesPath()+"/"+inv.ID, nil).Decode(t, &got)
	if got.Status != api.InviteExpired {
		t.Fatalf("invite after the other replica moved the clock past its expiry: %s, want %s", got.Status, api.InviteExpired)
	}
}

func TestReadyzAnswersWhileTheDatabaseDoes(t *testing.T) {
	w := newWorld(t)
	var h struct{ Status string }
	res := w.Do(t, "", http.MethodGet, "/readyz", nil)
	wantStatus(t, res, http.StatusOK)
	res.Decode(t, &h)
	if h.Status != "ok" {
		t.Fatalf("readyz: %+v", h)
	}
	_ = w.Server.Close() // the database is gone; the cleanup closes again harmlessly
	res = w.Do(t, "", http.MethodGet, "/readyz", nil)
	wantStatus(t, res, http.StatusServiceUnavailable)
	res.Decode(t, &h)
	if h.Status != "unavailable" {
		t.Fatalf("readyz without a database: %+v", h)
	}
}

// Replicas that start together on a new database apply each migration once
// and all serve.
func TestReplicasStartingTogetherOnANewDatabase(t *testing.T) {
	db := portaltest.Database(t)
	servers := make([]*portalserver.Server, 3)
	errs := make([]error, len(servers))
	var fns []func()
	for i := range servers {
		fns = append(fns, func() { servers[i], errs[i] = portalserver.Open(context.Background(), portalserver.Config{DBPath: db}) })
	}
	together(fns...)
	for i, s := range servers {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		t.Cleanup(func() { _ = s.Close() })
	}
	boot, err := servers[0].Bootstrap(context.Background(), portalserver.BootstrapOptions{Operator: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range servers {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+boot.Token)
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("replica %d: GET /v1/me %d %s", i, rec.Code, rec.Body)
		}
	}
	var applied int
	if err := portaltest.OpenDB(t, db).QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil || applied < 3 {
		t.Fatalf("schema_migrations holds %d rows (%v)", applied, err)
	}
}

// While the writes of a partner wait (here for a lock another session
// holds), reads and /readyz still answer: a balancer keeps a busy replica.
//
// The read is another user's, whose own activity write (once a minute)
// waits behind the held writes too: it waits at most a second, and the
// read goes on.
func TestReadyzWhileWritesWait(t *testing.T) {
	w := newWorld(t)
	_, reader := w.actor("reader@acme.test", api.RoleReadOnly)
	release := holdWrites(t, w.DBPath)
	const writers = 20
	done := make(chan int, writers)
	for i := range writers {
		go func() {
			done <- w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "waiting" + strconv.Itoa(i) + "@acme.test"}).Status
		}()
	}
	// One create waits for the lock; the others queue behind it at the
	// partner's gate, holding no connection.
	waitForLockWaiters(t, w.DBPath, 1)
	reads := make(chan [2]int, 1)
	go func() {
		reads <- [2]int{w.Do(t, "", http.MethodGet, "/readyz", nil).Status, w.Do(t, reader, http.MethodGet, w.usersPath(w.PartnerID), nil).Status}
	}()
	select {
	case got := <-reads:
		if got != [2]int{http.StatusOK, http.StatusOK} {
			t.Fatalf("while writes waited: /readyz %d, the users list %d, want 200 and 200", got[0], got[1])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("while writes waited, /readyz and the users list did not answer within 10 s")
	}
	if len(done) > 0 {
		t.Fatalf("%d creates answered while the writes were held: the test did not hold them", len(done))
	}
	release()
	for range writers {
		if status := <-done; status != http.StatusCreated {
			t.Fatalf("a create that waited: %d, want 201", status)
		}
	}
}

// holdWrites holds, from a session of its own, what every create waits for:
// the users table (PostgreSQL), or the database's write lock (SQLite).
func holdWrites(t *testing.T, db string) (release func()) {
	t.Helper()
	var conn *sql.Conn
	var err error
	if strings.HasPrefix(db, "postgres") {
		conn, err = portaltest.OpenDB(t, db).Conn(t.Context())
		if err == nil {
			_, err = conn.ExecContext(t.Context(), `BEGIN; LOCK TABLE users IN EXCLUSIVE MODE`)
		}
	} else {
		var sdb *sql.DB
		if sdb, err = sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(10000)"); err == nil {
			t.Cleanup(func() { _ = sdb.Close() })
			if conn, err = sdb.Conn(t.Context()); err == nil {
				_, err = conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`)
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
				t.Error(err)
			}
			_ = conn.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// waitForLockWaiters waits until at least n sessions of a PostgreSQL
// database wait for a lock; on SQLite, whose waiters cannot be seen, it
// returns at once.
func waitForLockWaiters(t *testing.T, db string, n int) {
	t.Helper()
	if !strings.HasPrefix(db, "postgres") {
		return
	}
	conn := portaltest.OpenDB(t, db)
	for i := 0; ; i++ {
		var waiting int
		if err := conn.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if i > 400 {
			t.Fatalf("%d sessions wait for a lock after 10 s, want %d", waiting, n)
		}
		time.Sleep(25 * time.Millisecond) // watching the database server's sessions
	}
}

// While one partner's changes wait for its advisory lock (another replica
// holds it, here a session of the test), another partner's change on the
// same replica still goes through: the first partner's changes queue at its
// gate holding one writer slot, not all of them.
func TestOnePartnersWaitingWritesLeaveOthersTheirs(t *testing.T) {
	w := newWorld(t)
	if !strings.HasPrefix(w.DBPath, "postgres") {
		t.Skip("PostgreSQL only: on SQLite every change of every partner takes the one write lock in turn")
	}
	other, otherToken := w.partner("Beta", "owner@beta.test")
	conn, err := portaltest.OpenDB(t, w.DBPath).Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const lock = 0x706f72 // pgPartnerLock
	if _, err := conn.ExecContext(t.Context(), `SELECT pg_advisory_lock($1, hashtext($2))`, lock, w.PartnerID); err != nil {
		t.Fatal(err)
	}
	const writers = 20
	done := make(chan int, writers)
	for i := range writers {
		go func() {
			done <- w.Do(t, w.OwnerToken, http.MethodPost, w.usersPath(w.PartnerID), api.UserCreate{Email: "queued" + strconv.Itoa(i) + "@acme.test"}).Status
		}()
	}
	waitForLockWaiters(t, w.DBPath, 1)
	answered := make(chan int, 1)
	go func() {
		answered <- w.Do(t, otherToken, http.MethodPost, w.usersPath(other), api.UserCreate{Email: "free@beta.test"}).Status
	}()
	select {
	case status := <-answered:
		if status != http.StatusCreated {
			t.Fatalf("the other partner's create: %d, want 201", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the other partner's create did not answer within 10 s while the first partner's changes waited")
	}
	if _, err := conn.ExecContext(t.Context(), `SELECT pg_advisory_unlock($1, hashtext($2))`, lock, w.PartnerID); err != nil {
		t.Fatal(err)
	}
	for range writers {
		if status := <-done; status != http.StatusCreated {
			t.Fatalf("a queued create answered %d, want 201", status)
		}
	}
}

// A user's activity is never written back in time: a write queued on one
// replica with an earlier time can land after a newer one of another.
func TestActivityIsNeverWrittenBackInTime(t *testing.T) {
	w := newWorld(t)
	u, token := w.actor("later@acme.test", api.RoleReadOnly) // its token not used yet: its first request writes activity
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	query := `UPDATE users SET last_activity_at = ? WHERE id = ?`
	driver, dsn := "sqlite", "file:"+w.DBPath+"?_pragma=busy_timeout(10000)"
	if strings.HasPrefix(w.DBPath, "postgres") {
		driver, dsn, query = "pgx", w.DBPath, `UPDATE users SET last_activity_at = $1 WHERE id = $2`
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), query, later.UnixMicro(), u.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, w.Do(t, token, http.MethodGet, "/v1/me", nil), http.StatusOK)
	var got api.User
	w.Do(t, w.OwnerToken, http.MethodGet, w.usersPath(w.PartnerID)+"/"+u.ID, nil).Decode(t, &got)
	if got.LastActivityAt == nil || !got.LastActivityAt.Equal(later) {
		t.Fatalf("last_activity_at = %v after a request at an earlier time, want %v kept", got.LastActivityAt, later)
	}
}
