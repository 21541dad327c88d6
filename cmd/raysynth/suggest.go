package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError turns cobra's flag errors into usage errors, and a mistyped long flag (--form for
// --from) into one with a "did you mean" hint, as cobra already does for mistyped commands.
func flagError(c *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) || ne.GetSpecifiedShortnames() != "" {
		return usageError{err} // another flag error, or an unknown shorthand (-x)
	}
	name := ne.GetSpecifiedName()
	if s := suggestFlags(c, name); len(s) > 0 {
		return withHint(usageError{err}, fmt.Sprintf("did you mean %s? (see %s --help)", strings.Join(s, " or "), c.CommandPath()))
	}
	return withHint(usageError{err}, fmt.Sprintf("see %s --help for its flags", c.CommandPath()))
}

// suggestFlags returns the flags of c (its own and inherited, hidden ones included because they
// work) within two edits of name, or that name starts, as "--from", nearest first.
func suggestFlags(c *cobra.Command, name string) []string {
	type cand struct {
		flag string
		d    int
	}
	var cs []cand
	visit := func(f *pflag.Flag) {
		if slices.ContainsFunc(cs, func(x cand) bool { return x.flag == f.Name }) {
			return
		}
		d := editDistance(name, f.Name)
		if d <= 2 || (len(name) >= 3 && strings.HasPrefix(f.Name, name)) {
			cs = append(cs, cand{f.Name, d})
		}
	}
	c.Flags().VisitAll(visit)
	c.InheritedFlags().VisitAll(visit)
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	var out []string
	for _, x := range cs[:min(len(cs), 3)] {
		out = append(out, "--"+x.flag)
	}
	return out
}

// unknownCommand turns the error of cobra's Find (an unknown command) into a usage error with
// cobra's suggestions as a hint.
func unknownCommand(root *cobra.Command, args []string, err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n") // cobra appends its suggestions on more lines
	uerr := usageError{fmt.Errorf("%s", msg)}
	var names []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			for _, s := range root.SuggestionsFor(a) {
				names = append(names, "raysynth "+s)
			}
			break
		}
	}
	if len(names) == 0 {
		return uerr
	}
	return withHint(uerr, "did you mean "+strings.Join(names, " or ")+"?")
}

// wrapArgsErrors makes the errors of every command's argument check (cobra.ExactArgs, NoArgs, …)
// usage errors.
func wrapArgsErrors(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgsErrors(sub)
	}
}

// editDistance is the Levenshtein distance between a and b (cobra's own is unexported).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
