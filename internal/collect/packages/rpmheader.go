package packages

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// RPM header tags read from rpmdb blobs.
const (
	rpmTagName      = 1000
	rpmTagVersion   = 1001
	rpmTagRelease   = 1002
	rpmTagEpoch     = 1003
	rpmTagArch      = 1022
	rpmTagSourceRPM = 1044
	rpmTagVendor    = 1011
	rpmTagLicense   = 1014
	rpmTagProvides  = 1047 // PROVIDENAME
	rpmTagRequires  = 1049 // REQUIRENAME
)

// maxRPMDeps bounds the provides or requires names kept per header.
const maxRPMDeps = 1 << 14

const (
	rpmTypeInt32  = 4
	rpmTypeString = 6
	rpmTypeArray  = 8 // STRING_ARRAY
	rpmTypeI18N   = 9
)

var errRPMHeader = errors.New("malformed rpm header")

// RPMHeader is the identity of one package from its header blob.
type RPMHeader struct {
	Name, Version, Release, Arch, SourceRPM string
	Epoch                                   int64 // -1 when unset
	// Vendor and License are optional: a header without them, or with
	// them in an unexpected type, still parses.
	Vendor, License string
	// Provides and Requires are capability names (package names,
	// sonames "libc.so.6()(64bit)", paths, "rpmlib(...)"), without
	// versions; optional like Vendor.
	Provides, Requires []string
}

// EVR renders [epoch:]version-release as rpm -q does.
func (h RPMHeader) EVR() string {
	s := h.Version
	if h.Release != "" {
		s += "-" + h.Release
	}
	if h.Epoch > 0 {
		s = fmt.Sprintf("%d:%s", h.Epoch, s)
	}
	return s
}

// ParseRPMHeader parses an rpmdb header blob: a big-endian index count and
// data length, the 16-byte index entries (tag, type, offset, count) and the
// data store. Only the identity tags are decoded.
func ParseRPMHeader(b []byte) (RPMHeader, error) {
	h := RPMHeader{Epoch: -1}
	if len(b) < 8 {
		return h, fmt.Errorf("%w: too short", errRPMHeader)
	}
	il := binary.BigEndian.Uint32(b[0:4])
	dl := binary.BigEndian.Uint32(b[4:8])
	// rpm itself limits headers to 0xffff entries and 256 MiB of data.
	if il == 0 || il > 0xffff || dl > 256<<20 {
		return h, fmt.Errorf("%w: index %d entries, %d data bytes", errRPMHeader, il, dl)
	}
	idxEnd := 8 + uint64(il)*16
	if idxEnd+uint64(dl) > uint64(len(b)) {
		return h, fmt.Errorf("%w: truncated", errRPMHeader)
	}
	data := b[idxEnd : idxEnd+uint64(dl)]
	for i := uint64(0); i < uint64(il); i++ {
		e := b[8+i*16 : 8+i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := binary.BigEndian.Uint32(e[8:12])
		cnt := binary.BigEndian.Uint32(e[12:16])
		if uint64(off) >= uint64(len(data)) {
			switch tag {
			case rpmTagName, rpmTagVersion, rpmTagRelease, rpmTagEpoch, rpmTagArch, rpmTagSourceRPM:
				return h, fmt.Errorf("%w: tag %d offset out of range", errRPMHeader, tag)
			}
			continue
		}
		str := func() (string, error) {
			if typ != rpmTypeString && typ != rpmTypeI18N {
				return "", fmt.Errorf("%w: tag %d has type %d, not string", errRPMHeader, tag, typ)
			}
			rest := data[off:]
			end := bytes.IndexByte(rest, 0)
			if end < 0 {
				return "", fmt.Errorf("%w: unterminated string for tag %d", errRPMHeader, tag)
			}
			return string(rest[:end]), nil
		}
		var err error
		switch tag {
		case rpmTagName:
			h.Name, err = str()
		case rpmTagVersion:
			h.Version, err = str()
		case rpmTagRelease:
			h.Release, err = str()
		case rpmTagArch:
			h.Arch, err = str()
		case rpmTagSourceRPM:
			h.SourceRPM, err = str()
		case rpmTagVendor:
			h.Vendor, _ = str()
		case rpmTagLicense:
			h.License, _ = str()
		case rpmTagProvides:
			h.Provides = strArray(data[off:], typ, cnt)
		case rpmTagRequires:
			h.Requires = strArray(data[off:], typ, cnt)
		case rpmTagEpoch:
			if typ != rpmTypeInt32 || cnt < 1 || uint64(off)+4 > uint64(len(data)) {
				return h, fmt.Errorf("%w: bad epoch", errRPMHeader)
			}
			h.Epoch = int64(binary.BigEndian.Uint32(data[off:]))
		}
		if err != nil {
			return h, err
		}
	}
	if h.Name == "" {
		return h, fmt.Errorf("%w: no name", errRPMHeader)
	}
	return h, nil
}

// strArray decodes a STRING_ARRAY of cnt NUL-terminated strings at the
// start of rest; a malformed or oversized one yields what was complete.
func strArray(rest []byte, typ, cnt uint32) []string {
	if typ != rpmTypeArray {
		return nil
	}
	var out []string
	for i := uint32(0); i < cnt && i < maxRPMDeps; i++ {
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			break
		}
		out = append(out, string(rest[:end]))
		rest = rest[end+1:]
	}
	return out
}

// BuildRPMHeader encodes the identity tags as an rpmdb header blob. It is
// the inverse of ParseRPMHeader, used to build test databases.
func BuildRPMHeader(h RPMHeader) []byte {
	type ent struct {
		tag, typ, cnt uint32
		val           []byte
	}
	var ents []ent
	add := func(tag uint32, s string) {
		if s != "" {
			ents = append(ents, ent{tag, rpmTypeString, 1, append([]byte(s), 0)})
		}
	}
	add(rpmTagName, h.Name)
	add(rpmTagVersion, h.Version)
	add(rpmTagRelease, h.Release)
	add(rpmTagArch, h.Arch)
	add(rpmTagSourceRPM, h.SourceRPM)
	add(rpmTagVendor, h.Vendor)
	add(rpmTagLicense, h.License)
	for _, a := range []struct {
		tag uint32
		v   []string
	}{{rpmTagProvides, h.Provides}, {rpmTagRequires, h.Requires}} {
		if len(a.v) > 0 {
			var b []byte
			for _, s := range a.v {
				b = append(append(b, s...), 0)
			}
			ents = append(ents, ent{a.tag, rpmTypeArray, uint32(len(a.v)), b})
		}
	}
	if h.Epoch >= 0 {
		v := make([]byte, 4)
		binary.BigEndian.PutUint32(v, uint32(h.Epoch))
		// int32 data is 4-byte aligned in real headers: put it first.
		ents = append([]ent{{rpmTagEpoch, rpmTypeInt32, 1, v}}, ents...)
	}
	var idx, data bytes.Buffer
	for _, e := range ents {
		var x [16]byte
		binary.BigEndian.PutUint32(x[0:], e.tag)
		binary.BigEndian.PutUint32(x[4:], e.typ)
		binary.BigEndian.PutUint32(x[8:], uint32(data.Len()))
		binary.BigEndian.PutUint32(x[12:], e.cnt)
		idx.Write(x[:])
		data.Write(e.val)
	}
	out := make([]byte, 8, 8+idx.Len()+data.Len())
	binary.BigEndian.PutUint32(out[0:], uint32(len(ents)))
	binary.BigEndian.PutUint32(out[4:], uint32(data.Len()))
	out = append(out, idx.Bytes()...)
	return append(out, data.Bytes()...)
}
