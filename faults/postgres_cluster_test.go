package faults

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// cluster is a private PostgreSQL server of one test, in a temp folder on
// a port of its own, so that the test can crash and restart it without
// touching the system's server that other tests (and helpers) use.
type cluster struct {
	t    testing.TB
	bin  string // the folder with initdb, pg_ctl, postgres
	dir  string // the data folder
	sock string // the unix socket folder
	port int
	user string // the operating-system user running the server ("" for the test's own)
}

// startCluster creates and starts a private PostgreSQL cluster (trust
// auth, loopback only). Outside CI missing binaries skip the test; under
// CI=true they fail it. The cluster is stopped and removed when the test
// ends.
func startCluster(t testing.TB) *cluster {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("initdb and pg_ctl (/usr/lib/postgresql/*/bin) are required under CI")
		}
		t.Skip("initdb and pg_ctl not found in /usr/lib/postgresql/*/bin: skipping the private PostgreSQL cluster")
	}
	// Not t.TempDir: its parents are private to the test's user, and the
	// server may have to run as another one.
	root, err := os.MkdirTemp("", "pforte-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	c := &cluster{t: t, bin: bin, dir: filepath.Join(root, "data"), sock: root}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		c.user = "postgres"
		u, err := user.Lookup(c.user)
		if err != nil {
			t.Fatalf("PostgreSQL cannot run as root and there is no user postgres: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c.port = freePort(t)
	c.run("initdb", "-D", c.dir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"+
		"max_connections = 100\nshared_buffers = 16MB\nlog_min_messages = fatal\n", c.port, c.sock)
	f, err := os.OpenFile(filepath.Join(c.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(func() { c.ctl("stop", "-m", "immediate") }) // already stopped when the test crashed it last
	return c
}

// postgresBin is the newest /usr/lib/postgresql/*/bin holding initdb and
// pg_ctl, or "".
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	return ""
}

func versionOf(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// freePort is a loopback TCP port nobody listens on.
func freePort(t testing.TB) int {
	_, port, err := net.SplitHostPort(freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	return n
}

// URL is the cluster's database "postgres" as PFORTE_DATABASE.
func (c *cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server (again, on the same port) and waits until it
// accepts connections.
func (c *cluster) Start() {
	c.t.Helper()
	if err := c.ctl("start", "-w", "-t", "60", "-l", filepath.Join(c.sock, "server.log")); err != nil {
		c.t.Fatal(err)
	}
	db, err := sql.Open("pgx", c.URL())
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if err := db.PingContext(ctx); err == nil {
			return
		} else if ctx.Err() != nil {
			c.t.Fatalf("private PostgreSQL did not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Crash stops the server at once, as a crash or a kill of the
// postmaster would: no checkpoint, every connection cut; on the next
// Start the server recovers from its write-ahead log.
func (c *cluster) Crash() {
	c.t.Helper()
	if err := c.ctl("stop", "-m", "immediate", "-w"); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) ctl(args ...string) error {
	out, err := c.command("pg_ctl", append([]string{"-D", c.dir}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.command(name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// command runs a PostgreSQL program as the cluster's user.
func (c *cluster) command(name string, args ...string) *exec.Cmd {
	prog := filepath.Join(c.bin, name)
	cmd := exec.Command(prog, args...)
	if c.user != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.user, "--", prog}, args...)...)
	}
	cmd.Dir = c.sock // the server's user may not enter the test's folder
	return cmd
}
