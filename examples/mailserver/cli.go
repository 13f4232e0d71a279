package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
)

// commandLine is a parsed command line: a management command with its
// arguments, or none to run the server, and the flags' values.
type commandLine struct {
	command  string // "" runs the server
	args     []string
	config   *config
	password string // adduser, passwd
	cost     int    // adduser, passwd
}

// The flags only the commands that set a password take, and the flags
// every command takes; the other flags are the server's.
var (
	passwordFlags = []string{"password", "cost"}
	commonFlags   = []string{"data", "domain"}
)

// usageError is a command line that cannot be run; main prints it with
// the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

const usage = `usage:
  mailserver [flags]                  run the server
  mailserver adduser NAME [flags]     add a user (password: -password, or a line on stdin)
  mailserver passwd NAME [flags]      change a user's password
  mailserver deluser NAME [flags]     remove a user (the mail stays)
  mailserver users [flags]            list the users
  mailserver queue [list] [flags]     list the queue
  mailserver queue retry [ID...]      try queued messages now (all without IDs)
  mailserver queue remove ID...       remove queued messages
Flags go before or after the arguments. Flags:
`

// parseCommandLine parses args (without the program name). Flags may come
// before, between and after the arguments: "queue list -data D" lists D's
// queue (the flag package alone stops at the first argument, and the flag
// was silently ignored). An unknown command, a wrong number of arguments,
// or a flag that does not apply to the command is an error (a
// *usageError); flag's own errors have been printed with the usage.
func parseCommandLine(args []string, output io.Writer) (*commandLine, error) {
	cl := &commandLine{}
	fs := flag.NewFlagSet("mailserver", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	cfg := serverFlags(fs)
	fs.StringVar(&cl.password, "password", "", "the password (adduser, passwd); read from stdin if empty")
	fs.IntVar(&cl.cost, "cost", 0, "bcrypt cost for new password hashes (adduser, passwd); 0 means the default")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if len(positional) > 0 {
		cl.command, cl.args = positional[0], positional[1:]
	}
	if err := checkArgs(cl.command, cl.args); err != nil {
		return nil, err
	}
	if err := checkFlags(fs, cl.command); err != nil {
		return nil, err
	}
	cl.config = cfg()
	return cl, nil
}

// parseInterspersed parses the flags in args wherever they are and returns
// the other arguments, in order. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// checkArgs checks the number of arguments of a command.
func checkArgs(command string, args []string) error {
	n := len(args)
	switch command {
	case "":
		return nil
	case "adduser", "passwd", "deluser":
		if n != 1 {
			return usagef("%s takes one NAME, not %d arguments", command, n)
		}
	case "users":
		if n != 0 {
			return usagef("users takes no arguments, not %q", args)
		}
	case "queue":
		sub := "list"
		if n > 0 {
			sub = args[0]
		}
		switch {
		case sub == "list" && n > 1:
			return usagef("queue list takes no arguments, not %q", args[1:])
		case sub == "remove" && n < 2:
			return usagef("queue remove needs the IDs of the messages")
		case sub != "list" && sub != "retry" && sub != "remove":
			return usagef("unknown queue command %q (list, retry, remove)", sub)
		}
	default:
		return usagef("unknown command %q", command)
	}
	return nil
}

// checkFlags refuses a flag set on the command line that the command (or
// the server) does not use: it would be ignored.
func checkFlags(fs *flag.FlagSet, command string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		password := slices.Contains(passwordFlags, f.Name)
		switch {
		case err != nil || slices.Contains(commonFlags, f.Name):
		case password && command != "adduser" && command != "passwd":
			err = usagef("flag -%s is for adduser and passwd only", f.Name)
		case !password && command != "":
			err = usagef("flag -%s is for running the server, not for %s", f.Name, command)
		}
	})
	return err
}
