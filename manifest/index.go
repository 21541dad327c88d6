package manifest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// indexHeader is the header of data/index.csv. file and dicom are relative to data/.
var indexHeader = []string{"id", "class", "file", "sha256", "size", "generator", "seed", "sample", "dicom", "dicom_sha256", "dicom_size"}

type indexRow struct {
	ID, Class, File, SHA256 string
	Size                    int64
	Generator               string
	Seed                    uint64
	Sample                  int64
	DICOM, DICOMSHA256      string
	DICOMSize               int64
}

func formatIndex(rows []indexRow) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(indexHeader)
	for _, r := range rows {
		ds := ""
		if r.DICOM != "" {
			ds = strconv.FormatInt(r.DICOMSize, 10)
		}
		w.Write([]string{r.ID, r.Class, r.File, r.SHA256, strconv.FormatInt(r.Size, 10), r.Generator,
			strconv.FormatUint(r.Seed, 10), strconv.FormatInt(r.Sample, 10), r.DICOM, r.DICOMSHA256, ds})
	}
	w.Flush()
	return buf.Bytes()
}

// parseIndex reads data/index.csv.
func parseIndex(data []byte) ([]indexRow, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(indexHeader)
	h, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if !slices.Equal(h, indexHeader) {
		return nil, fmt.Errorf("header %q, want %q", h, indexHeader)
	}
	var rows []indexRow
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		row := indexRow{ID: rec[0], Class: rec[1], File: rec[2], SHA256: rec[3], Generator: rec[5], DICOM: rec[8], DICOMSHA256: rec[9]}
		var e1, e2, e3, e4 error
		row.Size, e1 = strconv.ParseInt(rec[4], 10, 64)
		row.Seed, e2 = strconv.ParseUint(rec[6], 10, 64)
		row.Sample, e3 = strconv.ParseInt(rec[7], 10, 64)
		if row.DICOM != "" {
			row.DICOMSize, e4 = strconv.ParseInt(rec[10], 10, 64)
		}
		for _, e := range []error{e1, e2, e3, e4} {
			if e != nil {
				return nil, fmt.Errorf("row %d: %w", line, e)
			}
		}
		if row.Size < 0 || row.DICOMSize < 0 {
			return nil, fmt.Errorf("row %d: negative size", line)
		}
		paths := []string{row.File}
		if row.DICOM != "" {
			paths = append(paths, row.DICOM)
		}
		for _, p := range paths {
			if why := checkName(p); why != "" || !strings.HasPrefix(p, "images/") {
				return nil, fmt.Errorf("row %d: file %q is not a clean path under images/", line, printable(p))
			}
		}
		rows = append(rows, row)
	}
}
