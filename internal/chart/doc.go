// Package chart holds what the charts of several stages share (loss.png in train, the distance
// histograms of privacy's report.html): axis ticks a person reads at a glance, at 1, 2 or 5 times
// a power of ten.
//
// It imports no package of this module; gonum's plot types are its only dependency.
package chart
