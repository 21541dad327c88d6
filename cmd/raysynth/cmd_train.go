package main

import "github.com/spf13/cobra"

// trainCommands lists the `raysynth train` subcommands (cmd_train_<name>.go).
var trainCommands = []func(*globals) *cobra.Command{newTrainGANCmd, newTrainClassifierCmd}

func newTrainCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:     "train",
		Short:   "Train the per-condition DCGANs or the classifier",
		GroupID: groupTrain,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, mk := range trainCommands {
		c.AddCommand(mk(g))
	}
	return c
}
