// Command ferretdb runs FerretDB 1.x (SQLite backend) as the project's MongoDB-wire server, without Docker.
//
// Why this wrapper exists: `go install github.com/FerretDB/FerretDB/cmd/ferretdb@vX` builds a binary that
// panics at start, because FerretDB's build/version package expects a generated version.txt that is not
// part of the published module (it only checks this when the main module is FerretDB itself). Embedding
// FerretDB through its public package github.com/FerretDB/FerretDB/ferretdb from our own main module
// sidesteps that check and gives us a small, pinned (go.mod/go.sum) build. infra/ferretdb/ferretdb.sh
// builds and runs it.
//
// Usage: ferretdb -listen-addr 127.0.0.1:27017 -sqlite-dir /path/to/data [-log-level info]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on (host:port)")
	sqliteDir := flag.String("sqlite-dir", "", "directory for the SQLite database files (created if missing; required)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fatal(fmt.Errorf("bad -log-level: %w", err))
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if *sqliteDir == "" {
		fatal(fmt.Errorf("-sqlite-dir is required"))
	}
	dir, err := filepath.Abs(*sqliteDir)
	if err != nil {
		fatal(err)
	}
	// FerretDB requires an existing directory and a file: URI whose path ends with "/".
	if err = os.MkdirAll(dir, 0o755); err != nil {
		fatal(err)
	}
	if err = quarantineUnfinished(dir, logger); err != nil {
		fatal(err)
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
	sqliteURL := (&url.URL{Scheme: "file", Path: dir + "/", RawQuery: "_txlock=immediate&_pragma=synchronous(NORMAL)"}).String()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		fatal(err)
	}

	// SIGTERM (stop_daemon) or SIGINT (Ctrl-C) cancels ctx; Run then closes the listener, the open
	// connections and the SQLite databases before returning.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("FerretDB starting", "listen", *listenAddr, "sqlite", sqliteURL)
	if err = f.Run(ctx); err != nil {
		fatal(err)
	}
	logger.Info("FerretDB stopped")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "ferretdb:", err)
	os.Exit(1)
}
