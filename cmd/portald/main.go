// Command portald is the reference Portal API v1 server.
//
//	portald bootstrap --db DB --partner NAME --owner-email EMAIL [--token-name NAME]
//	portald bootstrap --db DB --operator [--token-name NAME]
//	portald serve --db DB [--addr 127.0.0.1:8080] [--dev] [--rate-limit RPS] [--rate-burst N]
//	              [--public-rate-limit RPS] [--public-rate-burst N] [--trust-forwarded-for]
//	              [--public-url URL] [--addr-file FILE]
//
// DB is a SQLite file (default portal.db) or a PostgreSQL URL,
// postgres://USER@HOST:PORT/DATABASE, which several portald may share; the
// environment variable PORTALD_DB gives it when --db is not given, so that a
// password need not be on the command line.
//
// It exits 0 on success and for -h, 2 for a command line it cannot use
// (with the usage on stderr) and 1 when the command fails.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
)

const usage = `portald: the reference Portal API v1 server

Usage:
  portald bootstrap --db DB --partner NAME --owner-email EMAIL [--token-name NAME]
      create a partner, its first owner and the owner's API token
  portald bootstrap --db DB --operator [--token-name NAME]
      create a portal operator token
  portald serve --db DB [--addr 127.0.0.1:8080] [--dev] [--rate-limit RPS] [--rate-burst N]
                [--public-rate-limit RPS] [--public-rate-burst N] [--trust-forwarded-for]
                [--public-url URL] [--addr-file FILE]
      serve Portal API v1

DB is a SQLite file (default portal.db) or a PostgreSQL URL such as
postgres://portal@db.internal:5432/portal, which several portald may share.
PORTALD_DB gives it when --db is not given (a password then stays off the
command line).

Run "portald COMMAND -h" for a command's flags.
`

func main() {
	os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// usageError is a command line portald cannot use: it exits 2.
type usageError struct {
	msg   string
	usage string // the usage to print with it
}

func (e *usageError) Error() string { return e.msg }

// exitCode prints err and says how portald exits with it.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "portald: %s\n\n%s", ue.msg, ue.usage)
		return 2
	default:
		fmt.Fprintln(stderr, "portald:", err)
		return 1
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{msg: "a command is required", usage: usage}
	}
	switch args[0] {
	case "bootstrap":
		return bootstrap(args[1:], stdout)
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), usage: usage}
	}
}

// command is one command's flags.
type command struct {
	*flag.FlagSet
	synopsis string
}

func newCommand(name, synopsis string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors and help itself
	return &command{FlagSet: fs, synopsis: synopsis}
}

// usage is the command's synopsis and flags.
func (c *command) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n%s\n\nFlags:\n", c.synopsis)
	c.SetOutput(&b)
	c.PrintDefaults()
	c.SetOutput(io.Discard)
	return b.String()
}

// parse parses args and says whether the command goes on: not after -h,
// which prints the help to stdout, nor after a bad flag or an argument that
// is not a flag, a usage error.
func (c *command) parse(args []string, stdout io.Writer) (bool, error) {
	err := c.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, c.usage())
		return false, nil
	case err != nil:
		return false, c.fail("%v", err)
	case c.NArg() > 0:
		return false, c.fail("unexpected argument %q: %s takes only flags (is a value missing its flag, or a flag after it?)", c.Arg(0), c.Name())
	}
	return true, nil
}

// fail is a usage error of the command.
func (c *command) fail(format string, args ...any) error {
	return &usageError{msg: c.Name() + ": " + fmt.Sprintf(format, args...), usage: c.usage()}
}

const dbHelp = "SQLite database file, or PostgreSQL URL postgres://USER@HOST/DATABASE; default $PORTALD_DB, else portal.db"

// dbOrDefault is --db, or when it is not given $PORTALD_DB, else portal.db.
func dbOrDefault(db string) string {
	if db != "" {
		return db
	}
	if db := os.Getenv("PORTALD_DB"); db != "" {
		return db
	}
	return "portal.db"
}

func bootstrap(args []string, stdout io.Writer) error {
	c := newCommand("bootstrap", `  portald bootstrap --db DB --partner NAME --owner-email EMAIL [--token-name NAME]
  portald bootstrap --db DB --operator [--token-name NAME]`)
	db := c.String("db", "", dbHelp+" (created and migrated if new)")
	partner := c.String("partner", "", "name of the partner to create")
	owner := c.String("owner-email", "", "email of the partner's first owner")
	operator := c.Bool("operator", false, "create a portal operator token instead, which may act for every partner")
	name := c.String("token-name", "bootstrap", "name of the token")
	if ok, err := c.parse(args, stdout); !ok {
		return err
	}
	*db = dbOrDefault(*db)
	switch {
	case *operator && (*partner != "" || *owner != ""):
		return c.fail("--operator creates no partner: give --operator alone, or --partner and --owner-email")
	case !*operator && (*partner == "" || *owner == ""):
		return c.fail("bootstrap needs --partner and --owner-email, or --operator")
	}
	ctx := context.Background()
	s, err := portalserver.Open(ctx, portalserver.Config{DBPath: *db})
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Bootstrap(ctx, portalserver.BootstrapOptions{PartnerName: *partner, OwnerEmail: *owner, Operator: *operator, TokenName: *name})
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

func serve(args []string, stdout, stderr io.Writer) error {
	c := newCommand("serve", `  portald serve --db DB [--addr 127.0.0.1:8080] [--dev] [--rate-limit RPS] [--rate-burst N]
                [--public-rate-limit RPS] [--public-rate-burst N] [--trust-forwarded-for]
                [--public-url URL] [--addr-file FILE]`)
	db := c.String("db", "", dbHelp+" (created and migrated at start)")
	addr := c.String("addr", "127.0.0.1:8080", "address to listen on; loopback unless you mean otherwise")
	dev := c.Bool("dev", false, "expose the mail outbox and the test clock under /v1/dev (never in production)")
	rate := c.Float64("rate-limit", 0, "requests per second allowed per token; 0 turns limiting off")
	burst := c.Int("rate-burst", 0, "requests a token may make at once; default twice the rate")
	publicRate := c.Float64("public-rate-limit", 0.2, "requests per second allowed per client address and per token prefix on the routes that take an emailed token; 0 turns that limit off")
	publicBurst := c.Int("public-rate-burst", 10, "requests a client address or token prefix may make at once on those routes")
	trustXFF := c.Bool("trust-forwarded-for", false, "count those requests against the last X-Forwarded-For address: only behind a reverse proxy that appends it")
	publicURL := c.String("public-url", "", "base URL of links in mails, such as https://portal.example; default http://ADDR")
	addrFile := c.String("addr-file", "", "write the address listened on to this file once serving (useful with --addr 127.0.0.1:0)")
	if ok, err := c.parse(args, stdout); !ok {
		return err
	}
	*db = dbOrDefault(*db)
	switch {
	case *rate < 0 || math.IsNaN(*rate) || math.IsInf(*rate, 0):
		return c.fail("--rate-limit must be 0 (off) or a positive number of requests per second, not %v", *rate)
	case *burst < 0:
		return c.fail("--rate-burst must be 0 (twice the rate) or positive, not %d", *burst)
	case *burst > 0 && *rate == 0:
		return c.fail("--rate-burst has no effect without --rate-limit")
	case *publicRate < 0 || math.IsNaN(*publicRate) || math.IsInf(*publicRate, 0):
		return c.fail("--public-rate-limit must be 0 (off) or a positive number of requests per second, not %v", *publicRate)
	case *publicBurst < 1:
		return c.fail("--public-rate-burst must be positive, not %d", *publicBurst)
	}
	if *publicRate == 0 {
		*publicRate = -1 // off; 0 in the Config is the default
	}
	if *publicURL != "" {
		u, err := url.Parse(*publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c.fail("--public-url must be an absolute http or https URL, not %q", *publicURL)
		}
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *publicURL == "" {
		*publicURL = "http://" + ln.Addr().String()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	s, err := portalserver.Open(ctx, portalserver.Config{DBPath: *db, Dev: *dev, RateLimit: *rate, RateBurst: *burst,
		PublicRateLimit: *publicRate, PublicRateBurst: *publicBurst, TrustForwardedFor: *trustXFF, PublicURL: *publicURL, Logger: logger})
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer s.Close()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
			return err
		}
	}
	logger.Info("portald listening", "addr", ln.Addr().String(), "db", portalserver.RedactDB(*db), "dev", *dev, "rate_limit", *rate, "public_rate_limit", max(0, *publicRate))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("portald shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	logger.Info("portald stopped")
	return nil
}
