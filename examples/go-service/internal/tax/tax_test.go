package tax

import (
	"errors"
	"testing"
)

func TestFor(t *testing.T) {
	q, err := For("DE", 10000)
	if err != nil || q.TaxCents != 1900 || q.Gross != 11900 {
		t.Fatalf("DE 100.00: %+v %v", q, err)
	}
	q, _ = For("FI", 1)
	if q.TaxCents != 0 {
		t.Fatalf("rounding: %+v", q)
	}
	if _, err := For("XX", 1); !errors.Is(err, ErrUnknownRegion) {
		t.Fatalf("unknown region: %v", err)
	}
	if _, err := For("DE", -1); !errors.Is(err, ErrAmount) {
		t.Fatalf("negative: %v", err)
	}
}
