// Command dbload measures portald's write path on each storage engine: how
// many users per second it creates, and the latency of a create at the 50th
// and 99th percentile, with 1, 8 and 32 concurrent clients, on SQLite, on
// PostgreSQL with one portald and on PostgreSQL with three portald on one
// database (the clients take the replicas in turn, as a round-robin
// balancer would).
//
//	make portald && go run ./internal/bench/dbload [-clients 1,8,32] [-duration 3s] [-postgres DSN]
//
// Everything is on loopback and each cell runs for -duration, then stops:
// every cell gets fresh portald processes (bin/portald, no rate limit, no
// --dev) on a fresh database. The PostgreSQL cells need a server where it
// may create databases: -postgres, default $PORTAL_TEST_POSTGRES (source
// .ci/postgres to start one); without one they are left out. It prints a
// Markdown table. It measures; it asserts nothing.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to create the cells' databases
)

type options struct {
	clients  []int
	duration time.Duration
	postgres string
	portald  string
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dbload:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("dbload", flag.ContinueOnError)
	clients := fs.String("clients", "1,8,32", "concurrent clients of each cell, comma-separated")
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "how long each cell creates users")
	fs.StringVar(&o.postgres, "postgres", os.Getenv("PORTAL_TEST_POSTGRES"), "DSN of a PostgreSQL server where databases may be created; empty leaves PostgreSQL out")
	fs.StringVar(&o.portald, "portald", filepath.Join("bin", "portald"), "the portald binary (make portald)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, c := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return fmt.Errorf("-clients: %q is not a positive number", c)
		}
		o.clients = append(o.clients, n)
	}
	if o.duration <= 0 || o.duration > time.Minute {
		return fmt.Errorf("-duration must be positive and at most a minute, not %s", o.duration)
	}
	if _, err := os.Stat(o.portald); err != nil {
		return fmt.Errorf("%s: %w (run make portald first)", o.portald, err)
	}
	engines := []engine{{name: "SQLite", replicas: 1}}
	if o.postgres != "" {
		engines = append(engines, engine{name: "PostgreSQL", replicas: 1, pg: true}, engine{name: "PostgreSQL", replicas: 3, pg: true})
	} else {
		fmt.Fprintln(os.Stderr, "dbload: no -postgres and no PORTAL_TEST_POSTGRES: the PostgreSQL cells are left out")
	}
	fmt.Printf("| engine | portald | clients | creates/s | p50 ms | p99 ms | creates | errors | retries |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, e := range engines {
		for _, c := range o.clients {
			r, err := cell(o, e, c)
			if err != nil {
				return fmt.Errorf("%s x%d, %d clients: %w", e.name, e.replicas, c, err)
			}
			fmt.Printf("| %s | %d | %d | %.0f | %.1f | %.1f | %d | %d | %d |\n", e.name, e.replicas, c,
				float64(r.created)/r.elapsed.Seconds(), ms(r.percentile(50)), ms(r.percentile(99)), r.created, r.errors, r.retries)
		}
	}
	return nil
}

type engine struct {
	name     string
	replicas int
	pg       bool
}

// result is what one cell measured.
type result struct {
	latencies []time.Duration // of each create that answered 201
	created   int
	errors    int
	retries   int // transactions portald ran again (portald_db_transaction_retries_total)
	elapsed   time.Duration
}

func (r result) percentile(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cell starts fresh portald on a fresh database, creates users from
// clients goroutines for o.duration, and stops everything.
func cell(o options, e engine, clients int) (result, error) {
	tmp, err := os.MkdirTemp("", "dbload-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(tmp)
	db := filepath.Join(tmp, "portal.db")
	if e.pg {
		var drop func()
		if db, drop, err = createDatabase(o.postgres); err != nil {
			return result{}, err
		}
		defer drop()
	}
	out, err := exec.Command(o.portald, "bootstrap", "--db", db, "--partner", "Load", "--owner-email", "owner@load.test").Output()
	if err != nil {
		return result{}, fmt.Errorf("bootstrap: %w", err)
	}
	var boot struct {
		PartnerID string `json:"partner_id"`
		Token     string `json:"token"`
	}
	if err := json.Unmarshal(out, &boot); err != nil {
		return result{}, fmt.Errorf("bootstrap printed %q: %w", out, err)
	}
	var urls []string
	for i := range e.replicas {
		url, stop, err := serve(o.portald, db, filepath.Join(tmp, "addr"+strconv.Itoa(i)))
		if err != nil {
			return result{}, err
		}
		defer stop()
		urls = append(urls, url)
	}

	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
	var mu sync.Mutex
	var res result
	var seq atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine result
			for ctx.Err() == nil {
				i := seq.Add(1)
				target := urls[int(i)%len(urls)]
				t0 := time.Now()
				status, err := create(ctx, httpc, target, boot.PartnerID, boot.Token, i)
				switch {
				case ctx.Err() != nil:
				case err == nil && status == http.StatusCreated:
					mine.created++
					mine.latencies = append(mine.latencies, time.Since(t0))
				default:
					mine.errors++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.created += mine.created
			res.errors += mine.errors
			res.latencies = append(res.latencies, mine.latencies...)
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	for _, u := range urls {
		res.retries += retries(httpc, u)
	}
	return res, nil
}

// create posts one user, with an Idempotency-Key as the provider sends.
func create(ctx context.Context, c *http.Client, base, partnerID, token string, i int64) (int, error) {
	body, _ := json.Marshal(map[string]any{"email": fmt.Sprintf("user%07d@load.test", i), "roles": []string{"member"}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/partners/"+partnerID+"/users", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "load-"+strconv.FormatInt(i, 10))
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// retries is the portald's portald_db_transaction_retries_total, 0 when
// it cannot be read.
func retries(c *http.Client, base string) int {
	res, err := c.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "portald_db_transaction_retries_total "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// serve starts portald on db on a loopback port and returns its URL once it
// is ready, and how to stop it.
func serve(bin, db, addrFile string) (string, func(), error) {
	cmd := exec.Command(bin, "serve", "--db", db, "--addr", "127.0.0.1:0", "--addr-file", addrFile)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for i := 0; i < 400; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return "http://" + strings.TrimSpace(string(b)), stop, nil
		}
		time.Sleep(25 * time.Millisecond) // waiting for another process to listen
	}
	stop()
	return "", nil, errors.New("portald did not start")
}

// createDatabase makes a database for one cell on the server of dsn and
// returns its URL and how to drop it.
func createDatabase(dsn string) (string, func(), error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "portal_load_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`); err != nil {
		_ = admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
		_ = admin.Close()
	}, nil
}
