package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	_ "github.com/silica-go/silica/backends"
	"github.com/silica-go/silica/engine"
)

const usage = `usage:
  silica import --store DIR --in VECTORS.npy [--ids IDS.npy] [--metric cosine|dot|l2] [--dtype f32|f16|i8]
  silica import --store DIR --text TEXTS --model MODEL [--metric ...] [--dtype ...]
      (TEXTS: one text a line, or JSON lines {"id": N, "text": "..."}; MODEL: a
      sentence-transformers BERT directory, or a name in the Hugging Face cache)
  silica search --store DIR --queries Q.npy -k K [--json] [--devices D,...|all] [--shards N] [--skip-checksums]
  silica search --store DIR --text "QUERY" -k K [--model MODEL] [--json] [--devices ...] [--shards N] [--skip-checksums]
  silica info --store DIR [--devices ...] [--shards N] [--skip-checksums]
      (--devices spreads the store over devices of the backend, --shards puts N
      shards on each; the hits are the same. --skip-checksums opens without
      reading every byte for its checksum)
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// errUsage marks errors in the command line (exit status 2).
var errUsage = errors.New("usage")

// commands maps each command to its function, which parses its flags.
var commands = map[string]func(args []string, stdout io.Writer) error{
	"import": importCmd,
	"search": searchCmd,
	"info":   infoCmd,
}

// run executes the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "silica: unknown command %q (want import, search or info; silica help shows the usage)\n", args[0])
		return 2
	}
	// Say why the command is silent when a backend compiles at first use.
	engine.SetProgress(func(msg string) { fmt.Fprintf(stderr, "silica: %s\n", msg) })
	progressOut = stderr
	defer func() { progressOut = io.Discard }()
	defer engine.SetProgress(nil)
	err := cmd(args[1:], stdout)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "silica: %s: %s\n", args[0], message(args[0], err))
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// message is err's text for "silica: cmd: ": one line, without the
// prefixes that line already has ("store: ", "search: ").
func message(cmd string, err error) string {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	msg = strings.TrimPrefix(msg, "store: ")
	return strings.TrimPrefix(msg, cmd+": ")
}

// parse parses a command's flags; required names the flags that must be
// given. Positional arguments are an error.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range required {
		if !set[name] {
			return fmt.Errorf("%w: --%s is required", errUsage, name)
		}
	}
	return nil
}
