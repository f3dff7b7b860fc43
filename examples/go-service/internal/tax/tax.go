// Package tax quotes value-added tax from a built-in table of standard rates.
package tax

import (
	"errors"
	"math"
	"sort"
)

// Standard VAT rates in basis points (1/100 of a percent), by ISO 3166 region code.
var rates = map[string]int64{
	"AT": 2000, "BE": 2100, "DE": 1900, "DK": 2500, "ES": 2100, "FI": 2550,
	"FR": 2000, "IE": 2300, "IT": 2200, "LU": 1700, "NL": 2100, "PL": 2300,
	"PT": 2300, "SE": 2500,
}

// ErrUnknownRegion is returned for a region without a rate.
var ErrUnknownRegion = errors.New("unknown region")

// ErrAmount is returned for a negative or too large net amount.
var ErrAmount = errors.New("the amount must be between 0 and 10^12 cents")

// Quote is the tax on a net amount, in cents.
type Quote struct {
	Region   string `json:"region"`
	RateBP   int64  `json:"rate_basis_points"`
	NetCents int64  `json:"net_cents"`
	TaxCents int64  `json:"tax_cents"`
	Gross    int64  `json:"gross_cents"`
}

// For quotes the tax on netCents in region, rounded half away from zero to the cent.
func For(region string, netCents int64) (Quote, error) {
	rate, ok := rates[region]
	if !ok {
		return Quote{}, ErrUnknownRegion
	}
	if netCents < 0 || netCents > 1_000_000_000_000 {
		return Quote{}, ErrAmount
	}
	tax := int64(math.Round(float64(netCents) * float64(rate) / 10000))
	return Quote{Region: region, RateBP: rate, NetCents: netCents, TaxCents: tax, Gross: netCents + tax}, nil
}

// Regions lists the regions with a rate, sorted.
func Regions() []string {
	out := make([]string, 0, len(rates))
	for r := range rates {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}
