package synth

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"math/big"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// SOP class and transfer syntax of the synthetic DICOM files.
const (
	SecondaryCaptureSOPClass = "1.2.840.10008.5.1.4.1.1.7"
	explicitVRLittleEndian   = "1.2.840.10008.1.2.1"
	// implementationUID identifies raysynth as the writer (2.25 + a fixed 128-bit number).
	implementationUID = "2.25.224880328390915617092383151862305014829"
)

// uid derives a DICOM UID under 2.25 from the given parts: fresh for every image, yet the same
// for the same checkpoint, seed and sample, so outputs stay byte-identical.
func uid(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x40 // shaped like a version-4 UUID, as 2.25 expects
	b[8] = b[8]&0x3f | 0x80
	return "2.25." + new(big.Int).SetBytes(b).String()
}

// dicomMeta is what a synthetic DICOM file says about its image.
type dicomMeta struct {
	ID, Class, Generator, CodeVersion string
	Seed                              uint64
	Sample                            int64
}

// encodeDICOM writes img as a DICOM Secondary Capture image marked synthetic: SyntheticData YES,
// ConversionType SYN, BurnedInAnnotation NO, obviously synthetic patient values and UIDs under 2.25.
func encodeDICOM(img *image.Gray, m dicomMeta) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	seed := fmt.Sprint(m.Seed)
	study := uid("study", m.Generator, seed)
	series := uid("series", m.Generator, seed, m.Class)
	instance := uid("instance", m.Generator, seed, fmt.Sprint(m.Sample))
	fr := frame.NewNativeFrame[uint8](8, h, w, w*h, 1)
	for y := 0; y < h; y++ {
		copy(fr.RawData[y*w:(y+1)*w], img.Pix[y*img.Stride:y*img.Stride+w])
	}
	pixel := &dicom.Element{Tag: tag.PixelData, ValueRepresentation: tag.VRBytes, RawValueRepresentation: "OB"}
	pv, err := dicom.NewValue(dicom.PixelDataInfo{Frames: []*frame.Frame{{NativeData: fr}}})
	if err != nil {
		return nil, err
	}
	pixel.Value = pv
	desc := "raysynth synthetic " + m.Class
	type el struct {
		t tag.Tag
		v any
	}
	els := []el{
		{tag.FileMetaInformationVersion, []byte{0, 1}},
		{tag.MediaStorageSOPClassUID, []string{SecondaryCaptureSOPClass}},
		{tag.MediaStorageSOPInstanceUID, []string{instance}},
		{tag.TransferSyntaxUID, []string{explicitVRLittleEndian}},
		{tag.ImplementationClassUID, []string{implementationUID}},
		{tag.ImplementationVersionName, []string{"RAYSYNTH"}},
		{tag.SpecificCharacterSet, []string{"ISO_IR 192"}},
		{tag.ImageType, []string{"DERIVED", "SECONDARY"}},
		{tag.SOPClassUID, []string{SecondaryCaptureSOPClass}},
		{tag.SOPInstanceUID, []string{instance}},
		{tag.SyntheticData, []string{"YES"}},
		{tag.StudyDate, []string{""}},
		{tag.StudyTime, []string{""}},
		{tag.AccessionNumber, []string{""}},
		{tag.Modality, []string{"OT"}},
		{tag.ConversionType, []string{"SYN"}},
		{tag.Manufacturer, []string{"raysynth"}},
		{tag.ReferringPhysicianName, []string{""}},
		{tag.StudyDescription, []string{"raysynth synthetic chest X-rays"}},
		{tag.SeriesDescription, []string{desc}},
		{tag.PatientName, []string{"SYNTHETIC^" + strings.ToUpper(m.Class)}},
		{tag.PatientID, []string{"SYNTHETIC-" + m.ID}},
		{tag.PatientBirthDate, []string{""}},
		{tag.PatientSex, []string{"O"}},
		{tag.SecondaryCaptureDeviceManufacturer, []string{"raysynth"}},
		{tag.SecondaryCaptureDeviceManufacturerModelName, []string{"raysynth DCGAN generator"}},
		{tag.SecondaryCaptureDeviceSoftwareVersions, []string{m.CodeVersion}},
		{tag.StudyInstanceUID, []string{study}},
		{tag.SeriesInstanceUID, []string{series}},
		{tag.StudyID, []string{""}},
		{tag.SeriesNumber, []string{"1"}},
		{tag.InstanceNumber, []string{fmt.Sprint(m.Sample + 1)}},
		{tag.PatientOrientation, []string{""}},
		{tag.ImageComments, []string{fmt.Sprintf("Synthetic image made by a generative model (generator sha256 %s, seed %d, sample %d); not a patient.", m.Generator, m.Seed, m.Sample)}},
		{tag.SamplesPerPixel, []int{1}},
		{tag.PhotometricInterpretation, []string{"MONOCHROME2"}},
		{tag.Rows, []int{h}},
		{tag.Columns, []int{w}},
		{tag.BitsAllocated, []int{8}},
		{tag.BitsStored, []int{8}},
		{tag.HighBit, []int{7}},
		{tag.PixelRepresentation, []int{0}},
		{tag.BurnedInAnnotation, []string{"NO"}},
	}
	ds := dicom.Dataset{}
	for _, e := range els {
		x, err := dicom.NewElement(e.t, e.v)
		if err != nil {
			return nil, fmt.Errorf("DICOM element %v: %w", e.t, err)
		}
		if e.t == tag.FileMetaInformationVersion {
			x.RawValueRepresentation, x.ValueRepresentation = "OB", tag.VRBytes
		}
		ds.Elements = append(ds.Elements, x)
	}
	ds.Elements = append(ds.Elements, pixel)
	var buf bytes.Buffer
	if err := dicom.Write(&buf, ds); err != nil {
		return nil, fmt.Errorf("write DICOM: %w", err)
	}
	return buf.Bytes(), nil
}
