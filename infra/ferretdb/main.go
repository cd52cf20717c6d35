// Command ferretdb runs FerretDB 1.x as the project's MongoDB-wire server, without Docker, on SQLite files
// (-sqlite-dir) or on a PostgreSQL database (-postgresql-url; infra/postgres/ runs one).
//
// Why this wrapper exists: `go install github.com/FerretDB/FerretDB/cmd/ferretdb@vX` builds a binary that
// panics at start, because FerretDB's build/version package expects a generated version.txt that is not
// part of the published module (it only checks this when the main module is FerretDB itself). Embedding
// FerretDB through its public package github.com/FerretDB/FerretDB/ferretdb from our own main module
// sidesteps that check and gives us a small, pinned (go.mod/go.sum) build. infra/ferretdb/ferretdb.sh
// builds and runs it.
//
// Usage: ferretdb -listen-addr 127.0.0.1:27017 -sqlite-dir /path/to/data [-log-level info]
//
//	ferretdb -listen-addr 127.0.0.1:27017 -postgresql-url postgres://user@127.0.0.1:5433/db
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only with -pprof-addr
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on (host:port)")
	sqliteDir := flag.String("sqlite-dir", "", "directory for the SQLite database files (created if missing)")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL connection URL (instead of -sqlite-dir)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn or error")
	pprofAddr := flag.String("pprof-addr", "", "serve Go's /debug/pprof here (host:port), to profile the store under a bench")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fatal(fmt.Errorf("bad -log-level: %w", err))
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	var config ferretdb.Config
	switch {
	case (*sqliteDir == "") == (*postgresqlURL == ""):
		fatal(fmt.Errorf("exactly one of -sqlite-dir and -postgresql-url is required"))
	case *postgresqlURL != "":
		config = ferretdb.Config{Handler: "postgresql", PostgreSQLURL: *postgresqlURL}
	default:
		sqliteURL, err := prepareSQLite(*sqliteDir, logger)
		if err != nil {
			fatal(err)
		}
		config = ferretdb.Config{Handler: "sqlite", SQLiteURL: sqliteURL}
	}
	config.Listener = ferretdb.ListenerConfig{TCP: *listenAddr}
	config.Logger = logger

	if *pprofAddr != "" {
		go func() { logger.Error("pprof server stopped", "error", http.ListenAndServe(*pprofAddr, nil)) }()
	}

	f, err := ferretdb.New(&config)
	if err != nil {
		fatal(err)
	}

	// SIGTERM (stop_daemon) or SIGINT (Ctrl-C) cancels ctx; Run then closes the listener, the open
	// connections and the backend's databases before returning.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("FerretDB starting", "listen", *listenAddr, "handler", config.Handler)
	if err = f.Run(ctx); err != nil {
		fatal(err)
	}
	logger.Info("FerretDB stopped")
}

// prepareSQLite makes the data directory, sets aside unfinished database files, and returns the
// SQLite URI FerretDB opens the directory with.
func prepareSQLite(sqliteDir string, logger *slog.Logger) (string, error) {
	dir, err := filepath.Abs(sqliteDir)
	if err != nil {
		return "", err
	}
	// FerretDB requires an existing directory and a file: URI whose path ends with "/".
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err = quarantineUnfinished(dir, logger); err != nil {
		return "", err
	}
	// _txlock=immediate: every write transaction takes SQLite's write lock at BEGIN, so concurrent
	// writers queue on the busy timeout instead of failing at once with SQLITE_BUSY when a deferred
	// transaction tries to upgrade its read lock (seen under concurrent ingest load).
	// synchronous(NORMAL) (FerretDB already runs SQLite in WAL mode): a commit no longer waits for an
	// fsync of the WAL, which made every single-document update ~10x slower here. A process crash
	// loses nothing; an OS crash or power loss can lose the last commits — acceptable for what this
	// embedded default holds: projections are rebuilt from Kafka, and a lost ingest receipt only means
	// a retry writes a second physical copy that every reader dedupes by event id. Production points
	// MONGO_URL at MongoDB with its own write concern.
	return (&url.URL{Scheme: "file", Path: dir + "/", RawQuery: "_txlock=immediate&_pragma=synchronous(NORMAL)"}).String(), nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "ferretdb:", err)
	os.Exit(1)
}
