package main

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the same SQLite driver FerretDB embeds
)

// quarantineUnfinished moves aside database files that FerretDB never finished creating: a SQLite file
// without FerretDB's metadata table (a crash while a database was being created or dropped), and WAL or
// shared-memory files whose database file is gone. FerretDB refuses to start at all while one such file
// is in the directory ("no such table: _ferretdb_collections"); such a file holds no collection, so
// nothing is lost by moving it to quarantine/ — and nothing is deleted.
func quarantineUnfinished(dir string, logger *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		var broken bool
		switch {
		case strings.HasSuffix(name, ".sqlite"):
			broken = !hasMetadata(filepath.Join(dir, name))
		case strings.HasSuffix(name, ".sqlite-wal"), strings.HasSuffix(name, ".sqlite-shm"):
			_, statErr := os.Stat(filepath.Join(dir, name[:strings.LastIndex(name, "-")]))
			broken = os.IsNotExist(statErr)
		}
		if !broken {
			continue
		}
		if err = os.MkdirAll(filepath.Join(dir, "quarantine"), 0o755); err != nil {
			return err
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			from := filepath.Join(dir, name+suffix)
			if _, statErr := os.Stat(from); statErr == nil {
				if err = os.Rename(from, filepath.Join(dir, "quarantine", name+suffix)); err != nil {
					return fmt.Errorf("quarantine %s: %w", from, err)
				}
			}
		}
		logger.Warn("moved an unfinished database file to quarantine/", "file", name)
	}
	return nil
}

func hasMetadata(path string) bool {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	err = db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_ferretdb_collections'").Scan(&n)
	return err == nil && n == 1
}
