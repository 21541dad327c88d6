package dicomio

import (
	"crypto/hmac"
	"crypto/sha256"
	"math/big"
	"slices"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Action is what the PS3.15 Annex E Basic Application Level Confidentiality Profile does to an
// attribute.
type Action byte

// Profile actions (PS3.15 Table E.1-1 codes).
const (
	Remove  Action = 'X' // remove the attribute
	Zero    Action = 'Z' // keep it with an empty value (Type 2 attributes)
	ReplUID Action = 'U' // replace the UID with a consistent, non-identifying one
)

// Rule is one attribute of the profile.
type Rule struct {
	Tag    tag.Tag
	Action Action
}

// BasicProfile lists the identifying attributes a chest radiograph may carry and the Basic
// Profile's action for each (a subset of PS3.15 Table E.1-1 covering projection radiography).
// Private attributes, overlay data and the icon image are removed as well; see [Deidentify].
var BasicProfile = []Rule{
	{tag.MediaStorageSOPInstanceUID, ReplUID},
	{tag.InstanceCreationDate, Remove}, {tag.InstanceCreationTime, Remove}, {tag.InstanceCreatorUID, ReplUID},
	{tag.SOPInstanceUID, ReplUID},
	{tag.StudyDate, Zero}, {tag.SeriesDate, Remove}, {tag.AcquisitionDate, Remove}, {tag.ContentDate, Zero},
	{tag.AcquisitionDateTime, Remove},
	{tag.StudyTime, Zero}, {tag.SeriesTime, Remove}, {tag.AcquisitionTime, Remove}, {tag.ContentTime, Zero},
	{tag.AccessionNumber, Zero},
	{tag.InstitutionName, Remove}, {tag.InstitutionAddress, Remove},
	{tag.ReferringPhysicianName, Zero}, {tag.ReferringPhysicianAddress, Remove}, {tag.ReferringPhysicianTelephoneNumbers, Remove},
	{tag.StationName, Remove}, {tag.StudyDescription, Remove}, {tag.SeriesDescription, Remove},
	{tag.InstitutionalDepartmentName, Remove}, {tag.PhysiciansOfRecord, Remove}, {tag.PerformingPhysicianName, Remove},
	{tag.NameOfPhysiciansReadingStudy, Remove}, {tag.OperatorsName, Remove}, {tag.AdmittingDiagnosesDescription, Remove},
	{tag.ReferencedStudySequence, Remove}, {tag.ReferencedPatientSequence, Remove}, {tag.ReferencedImageSequence, Remove},
	{tag.DerivationDescription, Remove}, {tag.SourceImageSequence, Remove}, {tag.IrradiationEventUID, ReplUID},
	{tag.PatientName, Zero}, {tag.PatientID, Zero}, {tag.IssuerOfPatientID, Remove}, {tag.PatientBirthDate, Zero},
	{tag.PatientBirthTime, Remove}, {tag.PatientSex, Zero}, {tag.OtherPatientIDs, Remove}, {tag.OtherPatientNames, Remove},
	{tag.OtherPatientIDsSequence, Remove}, {tag.PatientBirthName, Remove}, {tag.PatientAge, Remove}, {tag.PatientSize, Remove},
	{tag.PatientWeight, Remove}, {tag.PatientAddress, Remove}, {tag.PatientMotherBirthName, Remove}, {tag.MilitaryRank, Remove},
	{tag.BranchOfService, Remove}, {tag.MedicalRecordLocator, Remove}, {tag.PatientTelephoneNumbers, Remove},
	{tag.EthnicGroup, Remove}, {tag.Occupation, Remove}, {tag.AdditionalPatientHistory, Remove}, {tag.PatientComments, Remove},
	{tag.PatientReligiousPreference, Remove}, {tag.ResponsiblePerson, Remove}, {tag.ResponsibleOrganization, Remove},
	{tag.DeviceSerialNumber, Remove}, {tag.ProtocolName, Remove}, {tag.PlateID, Remove}, {tag.CassetteID, Remove},
	{tag.StudyInstanceUID, ReplUID}, {tag.SeriesInstanceUID, ReplUID}, {tag.StudyID, Zero}, {tag.FrameOfReferenceUID, ReplUID},
	{tag.ImageComments, Remove},
	{tag.RequestingPhysician, Remove}, {tag.RequestingService, Remove}, {tag.RequestedProcedureDescription, Remove},
	{tag.PerformedProcedureStepStartDate, Remove}, {tag.PerformedProcedureStepStartTime, Remove},
	{tag.PerformedProcedureStepID, Remove}, {tag.PerformedProcedureStepDescription, Remove},
	{tag.RequestAttributesSequence, Remove}, {tag.ContentSequence, Remove},
	{tag.IconImageSequence, Remove},
}

// UIDRemapper returns a consistent UID replacement under a secret key: the same UID always maps
// to the same "2.25.<decimal>" UID (PS3.5 B.2), and the original cannot be recovered without the
// key.
func UIDRemapper(key []byte) func(string) string {
	return func(old string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(old))
		n := new(big.Int).SetBytes(m.Sum(nil)[:16])
		return "2.25." + n.String()
	}
}

// Deidentify applies [BasicProfile] to ds in place, recursively through sequences: listed
// attributes are removed, emptied or given remapped UIDs (remapUID, e.g. [UIDRemapper]); private
// attributes (odd groups), overlay data and curve groups are removed; and PatientIdentityRemoved
// (0012,0062) = YES and DeidentificationMethod (0012,0063) are set. Pixel data are untouched:
// burned-in annotations are not detected here.
func Deidentify(ds *dicom.Dataset, remapUID func(string) string) error {
	rules := map[tag.Tag]Action{}
	for _, r := range BasicProfile {
		rules[r.Tag] = r.Action
	}
	elems, err := deidElements(ds.Elements, rules, remapUID)
	if err != nil {
		return err
	}
	for _, add := range []struct {
		t tag.Tag
		v string
	}{
		{tag.PatientIdentityRemoved, "YES"},
		{tag.DeidentificationMethod, "raysynth: DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile"},
	} {
		e, err := dicom.NewElement(add.t, []string{add.v})
		if err != nil {
			return err
		}
		elems = slices.DeleteFunc(elems, func(x *dicom.Element) bool { return x.Tag == add.t })
		elems = append(elems, e)
	}
	slices.SortStableFunc(elems, func(a, b *dicom.Element) int {
		ka := uint32(a.Tag.Group)<<16 | uint32(a.Tag.Element)
		kb := uint32(b.Tag.Group)<<16 | uint32(b.Tag.Element)
		return int(int64(ka) - int64(kb))
	})
	ds.Elements = elems
	return nil
}

func deidElements(in []*dicom.Element, rules map[tag.Tag]Action, remapUID func(string) string) ([]*dicom.Element, error) {
	out := in[:0]
	for _, e := range in {
		g := e.Tag.Group
		switch {
		case g%2 == 1: // private
			continue
		case g >= 0x5000 && g <= 0x50FF: // curves (retired)
			continue
		case g >= 0x6000 && g <= 0x60FF && (e.Tag.Element == 0x3000 || e.Tag.Element == 0x4000): // overlay data, comments
			continue
		}
		switch rules[e.Tag] {
		case Remove:
			continue
		case Zero:
			v, err := dicom.NewValue([]string{""})
			if err != nil {
				return nil, err
			}
			e.Value = v
		case ReplUID:
			if s, ok := e.Value.GetValue().([]string); ok {
				repl := make([]string, len(s))
				for i, u := range s {
					repl[i] = remapUID(u)
				}
				v, err := dicom.NewValue(repl)
				if err != nil {
					return nil, err
				}
				e.Value = v
			}
		}
		if items, ok := e.Value.GetValue().([]*dicom.SequenceItemValue); ok {
			for _, it := range items {
				sub, ok := it.GetValue().([]*dicom.Element)
				if !ok {
					continue
				}
				cleaned, err := deidElements(sub, rules, remapUID)
				if err != nil {
					return nil, err
				}
				nv, err := dicom.NewValue([][]*dicom.Element{cleaned})
				if err != nil {
					return nil, err
				}
				if seq, ok := nv.GetValue().([]*dicom.SequenceItemValue); ok && len(seq) == 1 {
					*it = *seq[0]
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}
