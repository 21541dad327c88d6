package main

import "github.com/spf13/cobra"

// benchCommands lists the `raysynth bench` subcommands (cmd_bench_<name>.go).
var benchCommands = []func(*globals) *cobra.Command{newBenchGANCmd, newBenchNNCmd, newBenchScaleCmd}

func newBenchCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure speed and memory of the heavy parts on this machine",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, mk := range benchCommands {
		c.AddCommand(mk(g))
	}
	return c
}
