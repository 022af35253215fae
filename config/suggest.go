package config

import (
	"github.com/agext/levenshtein"
)

// nameSuggestion returns the candidate closest to given, or "" when none is
// close enough to be what the user meant.
func nameSuggestion(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// NameSuggestion is nameSuggestion for other packages.
func NameSuggestion(given string, candidates []string) string {
	return nameSuggestion(given, candidates)
}
