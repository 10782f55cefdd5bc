package sdjournal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz/lzma"
)

// decoders decompress data objects, each output bounded by a limit given
// per call: a small compressed object cannot expand into a large
// allocation (no decompression bombs).
type decoders struct {
	zd    *zstd.Decoder
	zdErr error
}

func (d *decoders) close() {
	if d.zd != nil {
		d.zd.Close()
	}
}

var errTooBig = fmt.Errorf("%w: decompressed field over the size limit", errOversized)

// lz4 decodes systemd's LZ4 form: the decompressed size as a 64-bit
// little-endian number, then one LZ4 block.
func (d *decoders) lz4(src []byte, limit int) ([]byte, error) {
	if len(src) < 8 {
		return nil, corruptf("LZ4 data of %d bytes", len(src))
	}
	n := binary.LittleEndian.Uint64(src)
	if n > uint64(limit) {
		return nil, errTooBig
	}
	out := make([]byte, n)
	m, err := lz4.UncompressBlock(src[8:], out)
	if err != nil {
		return nil, corruptf("LZ4: %v", err)
	}
	if uint64(m) != n {
		return nil, corruptf("LZ4 data of %d bytes, header says %d", m, n)
	}
	return out, nil
}

// zstd decodes one ZSTD frame within limit bytes; the window is bounded
// too so a frame header cannot ask for a large buffer.
func (d *decoders) zstd(src []byte, limit int) ([]byte, error) {
	if d.zd == nil && d.zdErr == nil {
		// The limit is the same for every call of one Reader: a frame
		// declaring more is refused before it is decoded.
		d.zd, d.zdErr = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(uint64(min(limit, maxDecoded))), zstd.WithDecoderMaxWindow(maxDecoded))
	}
	if d.zdErr != nil {
		return nil, d.zdErr
	}
	out, err := d.zd.DecodeAll(src, make([]byte, 0, min(limit, 4*len(src))))
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) || len(out) > limit {
		return nil, errTooBig
	}
	if err != nil {
		return nil, corruptf("ZSTD: %v", err)
	}
	return out, nil
}

// maxDecoded bounds the ZSTD decoder's memory whatever the field limit.
const maxDecoded = 16 << 20

// xz decodes an XZ stream of one LZMA2 block. The container is parsed
// here so the LZMA2 dictionary is sized by the output limit, not by the
// stream header, which could ask for gigabytes.
func (d *decoders) xz(src []byte, limit int) ([]byte, error) {
	block, err := xzBlock(src)
	if err != nil {
		return nil, err
	}
	dict := max(limit+1, lzma.MinDictCap)
	r, err := lzma.Reader2Config{DictCap: dict}.NewReader2(bytes.NewReader(block))
	if err != nil {
		return nil, corruptf("XZ: %v", err)
	}
	out, err := readMost(r, limit+1)
	if err != nil {
		return nil, corruptf("XZ: %v", err)
	}
	if len(out) > limit {
		return nil, errTooBig
	}
	return out, nil
}

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

// xzBlock checks the stream header and the first block header of an XZ
// stream and returns the block's LZMA2 data (and what follows it).
func xzBlock(b []byte) ([]byte, error) {
	if len(b) < 12+8 || !bytes.Equal(b[:6], xzMagic) {
		return nil, corruptf("not XZ data")
	}
	if crc32.ChecksumIEEE(b[6:8]) != binary.LittleEndian.Uint32(b[8:12]) || b[6] != 0 || b[7] > 0x0f {
		return nil, corruptf("XZ stream header")
	}
	b = b[12:]
	if b[0] == 0 {
		return nil, corruptf("XZ stream without a block")
	}
	hs := (int(b[0]) + 1) * 4
	if len(b) < hs {
		return nil, corruptf("XZ block header of %d bytes", hs)
	}
	h := b[:hs]
	if crc32.ChecksumIEEE(h[:hs-4]) != binary.LittleEndian.Uint32(h[hs-4:]) {
		return nil, corruptf("XZ block header checksum")
	}
	flags := h[1]
	if flags&0x3c != 0 || flags&0x03 != 0 {
		return nil, corruptf("XZ block with flags %#x (only one LZMA2 filter is read)", flags)
	}
	p := h[2 : hs-4]
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} { // compressed, uncompressed size
		if present {
			_, n := binary.Uvarint(p)
			if n <= 0 {
				return nil, corruptf("XZ block header size field")
			}
			p = p[n:]
		}
	}
	// Filter flags: id 0x21 (LZMA2), one byte of properties.
	if len(p) < 3 || p[0] != 0x21 || p[1] != 1 || p[2] > 40 {
		return nil, corruptf("XZ filter is not LZMA2")
	}
	return b[hs:], nil
}

// readMost reads r to its end or to n bytes. Unlike io.ReadAll it gives
// up on a reader that keeps returning nothing without an error.
func readMost(r io.Reader, n int) ([]byte, error) {
	out := make([]byte, 0, min(n, 4096))
	for idle := 0; len(out) < n; {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		m, err := r.Read(out[len(out):min(cap(out), n)])
		out = out[:len(out)+m]
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if m == 0 {
			if idle++; idle > 100 {
				return out, io.ErrNoProgress
			}
		} else {
			idle = 0
		}
	}
	return out, nil
}
