package dicomtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Marker is one identifying attribute to overwrite (or add) with a value.
type Marker struct {
	Tag   tag.Tag
	VR    string
	Value string
}

// Mark rewrites a DICOM file (Part-10 or raw dataset) with the given attribute values, replacing
// existing elements and adding missing ones, and adds a private block (creator at (0009,0010),
// value at (0009,1001)) holding privateValue. A raw input stays raw (no preamble, no meta header).
func Mark(data []byte, markers []Marker, privateCreator, privateValue string) ([]byte, error) {
	raw := len(data) < 132 || string(data[128:132]) != "DICM"
	ds, err := dicom.Parse(bytes.NewReader(data), int64(len(data)), nil, dicom.AllowMissingMetaElementGroupLength())
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	set := func(t tag.Tag, vr, v string) error {
		val, err := dicom.NewValue([]string{v})
		if err != nil {
			return err
		}
		if e, err := ds.FindElementByTag(t); err == nil {
			e.Value = val
			return nil
		}
		ds.Elements = append(ds.Elements, &dicom.Element{Tag: t, ValueRepresentation: tag.GetVRKind(t, vr), RawValueRepresentation: vr, Value: val})
		return nil
	}
	for _, m := range markers {
		if err := set(m.Tag, m.VR, m.Value); err != nil {
			return nil, err
		}
	}
	if err := set(tag.Tag{Group: 0x0009, Element: 0x0010}, "LO", privateCreator); err != nil {
		return nil, err
	}
	if err := set(tag.Tag{Group: 0x0009, Element: 0x1001}, "LO", privateValue); err != nil {
		return nil, err
	}
	// Group-length elements would be stale: drop them (they are optional outside group 2).
	ds.Elements = slices.DeleteFunc(ds.Elements, func(e *dicom.Element) bool { return e.Tag.Element == 0 && e.Tag.Group != 2 })
	slices.SortStableFunc(ds.Elements, func(a, b *dicom.Element) int {
		ka := uint32(a.Tag.Group)<<16 | uint32(a.Tag.Element)
		kb := uint32(b.Tag.Group)<<16 | uint32(b.Tag.Element)
		return int(int64(ka) - int64(kb))
	})
	var out bytes.Buffer
	if err := dicom.Write(&out, ds, dicom.SkipVRVerification(), dicom.SkipValueTypeVerification(), dicom.DefaultMissingTransferSyntax()); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	b := out.Bytes()
	if raw {
		if len(b) < 144 || string(b[128:132]) != "DICM" {
			return nil, fmt.Errorf("unexpected writer output")
		}
		metaLen := binary.LittleEndian.Uint32(b[140:144])
		b = b[144+metaLen:]
	}
	return b, nil
}
