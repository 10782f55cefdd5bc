package credcheck

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync"

	"golang.org/x/crypto/pbkdf2"
)

// yescrypt ($y$), the default password hash of Debian 12, Ubuntu 22.04
// and later, Fedora 35 and later. Only what crypt(3) produces is
// supported: the RW mode with the standard pwxform flavour, no ROM, no
// hash upgrades. The implementation follows the algorithm description of
// the yescrypt reference (Openwall); it is verified against libxcrypt
// output in the tests.

const (
	yFlagRW         = 0x002
	yFlagWORM       = 0x001
	yFlavorMask     = 0x3fc
	yFlagPrehash    = 0x10000000
	yStandardFlavor = 0x004 | 0x010 | 0x020 | 0x080 // 6 rounds, gather 4, simple 2, 12 KiB S-box

	pwxSimple = 2
	pwxGather = 4
	pwxRounds = 6
	sWidth    = 8
	pwxWords  = pwxGather * pwxSimple * 2         // 16 uint32 per pwxform block
	sBytes    = 3 * (1 << sWidth) * pwxSimple * 8 // 12288
	sWords    = sBytes / 4
	sMask     = ((1 << sWidth) - 1) * pwxSimple * 8 // byte offset mask
	sPairs    = (1 << sWidth) * pwxSimple           // pairs per S-box
)

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

type yParams struct {
	flags    uint32
	N        uint64
	r, p, t  uint32
	g, nrom  uint32
	salt     []byte
	setting  string // "$y$params$salt"
	hashText string
}

var errYescrypt = errors.New("malformed or unsupported yescrypt hash")

func atoi64(c byte) (uint32, bool) {
	i := strings.IndexByte(itoa64, c)
	return uint32(i), i >= 0
}

// decodeVarUint reads yescrypt's variable-length parameter encoding.
func decodeVarUint(s string, min uint32) (uint32, string, bool) {
	if s == "" {
		return 0, s, false
	}
	c, ok := atoi64(s[0])
	if !ok {
		return 0, s, false
	}
	s = s[1:]
	start, end, chars, nbits := uint32(0), uint32(47), 1, uint32(0)
	v := uint64(min)
	for c > end {
		v += uint64(end+1-start) << nbits
		start = end + 1
		end = start + (62-end)/2
		chars++
		nbits += 6
	}
	v += uint64(c-start) << nbits
	for ; chars > 1; chars-- {
		if s == "" {
			return 0, s, false
		}
		c, ok := atoi64(s[0])
		if !ok {
			return 0, s, false
		}
		s = s[1:]
		nbits -= 6
		v += uint64(c) << nbits
	}
	if v > 1<<32-1 {
		return 0, s, false
	}
	return uint32(v), s, true
}

// decode64 decodes the little-endian base-64 used for yescrypt salts.
func decode64(s string) ([]byte, bool) {
	var out []byte
	for len(s) > 0 {
		n := min(4, len(s))
		var v uint32
		for i := 0; i < n; i++ {
			c, ok := atoi64(s[i])
			if !ok {
				return nil, false
			}
			v |= c << (6 * i)
		}
		s = s[n:]
		nb := 6 * n
		if nb < 12 {
			return nil, false
		}
		for ; nb >= 8; nb -= 8 {
			out = append(out, byte(v))
			v >>= 8
		}
		if v != 0 {
			return nil, false
		}
	}
	return out, true
}

// encode64 is the inverse of decode64.
func encode64(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); {
		var v uint32
		nb := 0
		for nb < 24 && i < len(b) {
			v |= uint32(b[i]) << nb
			i++
			nb += 8
		}
		for j := 0; j < nb; j += 6 {
			sb.WriteByte(itoa64[v&0x3f])
			v >>= 6
		}
	}
	return sb.String()
}

func parseYescrypt(hash string) (*yParams, error) {
	rest, ok := strings.CutPrefix(hash, "$y$")
	if !ok {
		return nil, errYescrypt
	}
	p := &yParams{p: 1}
	flavor, rest, ok := decodeVarUint(rest, 0)
	if !ok {
		return nil, errYescrypt
	}
	switch {
	case flavor < yFlagRW:
		p.flags = flavor
	case flavor <= yFlagRW+(yFlavorMask>>2):
		p.flags = yFlagRW + (flavor-yFlagRW)<<2
	default:
		return nil, errYescrypt
	}
	nlog, rest, ok := decodeVarUint(rest, 1)
	if !ok || nlog > 63 {
		return nil, errYescrypt
	}
	p.N = 1 << nlog
	if p.r, rest, ok = decodeVarUint(rest, 1); !ok {
		return nil, errYescrypt
	}
	if rest != "" && rest[0] != '$' {
		var have uint32
		if have, rest, ok = decodeVarUint(rest, 1); !ok {
			return nil, errYescrypt
		}
		if have&1 != 0 {
			if p.p, rest, ok = decodeVarUint(rest, 2); !ok {
				return nil, errYescrypt
			}
		}
		if have&2 != 0 {
			if p.t, rest, ok = decodeVarUint(rest, 1); !ok {
				return nil, errYescrypt
			}
		}
		if have&4 != 0 {
			if p.g, rest, ok = decodeVarUint(rest, 1); !ok {
				return nil, errYescrypt
			}
		}
		if have&8 != 0 {
			if p.nrom, rest, ok = decodeVarUint(rest, 1); !ok {
				return nil, errYescrypt
			}
		}
	}
	rest, ok = strings.CutPrefix(rest, "$")
	if !ok {
		return nil, errYescrypt
	}
	saltText, hashText, ok := strings.Cut(rest, "$")
	if !ok || strings.Contains(hashText, "$") || len(hashText) != 43 {
		return nil, errYescrypt
	}
	if p.salt, ok = decode64(saltText); !ok || len(p.salt) > 64 {
		return nil, errYescrypt
	}
	p.setting = hash[:len(hash)-len(hashText)-1]
	p.hashText = hashText
	if p.flags != yFlagRW|yStandardFlavor || p.g != 0 || p.nrom != 0 {
		return nil, fmt.Errorf("%w: flavour %#x, g %d, ROM %d", errYescrypt, p.flags, p.g, p.nrom)
	}
	if p.N < 2 || p.r < 1 || p.p < 1 || uint64(p.r)*uint64(p.p) >= 1<<30 || p.N/uint64(p.p) <= 1 || p.t > 1<<20 {
		return nil, errYescrypt
	}
	return p, nil
}

// yescryptMemory is the V array size a hash needs, in bytes.
func (p *yParams) memory() uint64 {
	hi, lo := bits.Mul64(128*uint64(p.r), p.N)
	if hi != 0 {
		return 1<<64 - 1
	}
	return lo
}

// verifyYescrypt recomputes the hash of password with hash's parameters.
func verifyYescrypt(hash, password string) (bool, error) {
	p, err := parseYescrypt(hash)
	if err != nil {
		return false, err
	}
	dk := yescryptKDF([]byte(password), p.salt, p.flags, p.N, p.r, p.p, p.t)
	return subtle.ConstantTimeCompare([]byte(encode64(dk)), []byte(p.hashText)) == 1, nil
}

func yescryptKDF(passwd, salt []byte, flags uint32, N uint64, r, p, t uint32) []byte {
	if flags&yFlagRW != 0 && N/uint64(p) >= 0x100 && N/uint64(p)*uint64(r) >= 0x20000 {
		passwd = yescryptBody(passwd, salt, flags|yFlagPrehash, N>>6, r, p, 0)
	}
	return yescryptBody(passwd, salt, flags, N, r, p, t)
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// yescryptBody computes one 32-byte yescrypt result.
func yescryptBody(passwd, salt []byte, flags uint32, N uint64, r, p, t uint32) []byte {
	key := []byte("yescrypt-prehash")
	if flags&yFlagPrehash == 0 {
		key = key[:8]
	}
	pw := hmacSHA256(key, passwd)
	s := 32 * int(r) // words per block B_i
	bbytes := pbkdf2.Key(pw, salt, 1, 128*int(r)*int(p), sha256.New)
	B := make([]uint32, s*int(p))
	for i := range B {
		B[i] = binary.LittleEndian.Uint32(bbytes[4*i:])
	}
	pw = append([]byte(nil), bbytes[:32]...)
	V := getWords(uint64(s) * N)
	defer putWords(V)
	smix(B, int(r), N, p, t, flags, V, &pw)
	for i := range B {
		binary.LittleEndian.PutUint32(bbytes[4*i:], B[i])
	}
	dk := pbkdf2.Key(pw, bbytes, 1, 32, sha256.New)
	if flags&yFlagPrehash == 0 {
		ck := hmacSHA256(dk, []byte("Client Key"))
		sum := sha256.Sum256(ck)
		dk = sum[:]
	}
	return dk
}

// vPool recycles V arrays: every word is written before it is read, so a
// reused array needs no clearing, and each try does not fault in 16 MiB.
var vPool sync.Pool

func getWords(n uint64) []uint32 {
	if v, ok := vPool.Get().(*[]uint32); ok && uint64(cap(*v)) >= n {
		return (*v)[:n]
	}
	return make([]uint32, n)
}

func putWords(v []uint32) { vPool.Put(&v) }

type pwxCtx struct {
	S          []uint32
	s0, s1, s2 int // offsets in pairs
	w          int
}

func salsa20(B []uint32, rounds int) {
	var x [16]uint32
	for i := 0; i < 16; i++ {
		x[i*5%16] = B[i]
	}
	R := bits.RotateLeft32
	for i := 0; i < rounds; i += 2 {
		x[4] ^= R(x[0]+x[12], 7)
		x[8] ^= R(x[4]+x[0], 9)
		x[12] ^= R(x[8]+x[4], 13)
		x[0] ^= R(x[12]+x[8], 18)
		x[9] ^= R(x[5]+x[1], 7)
		x[13] ^= R(x[9]+x[5], 9)
		x[1] ^= R(x[13]+x[9], 13)
		x[5] ^= R(x[1]+x[13], 18)
		x[14] ^= R(x[10]+x[6], 7)
		x[2] ^= R(x[14]+x[10], 9)
		x[6] ^= R(x[2]+x[14], 13)
		x[10] ^= R(x[6]+x[2], 18)
		x[3] ^= R(x[15]+x[11], 7)
		x[7] ^= R(x[3]+x[15], 9)
		x[11] ^= R(x[7]+x[3], 13)
		x[15] ^= R(x[11]+x[7], 18)

		x[1] ^= R(x[0]+x[3], 7)
		x[2] ^= R(x[1]+x[0], 9)
		x[3] ^= R(x[2]+x[1], 13)
		x[0] ^= R(x[3]+x[2], 18)
		x[6] ^= R(x[5]+x[4], 7)
		x[7] ^= R(x[6]+x[5], 9)
		x[4] ^= R(x[7]+x[6], 13)
		x[5] ^= R(x[4]+x[7], 18)
		x[11] ^= R(x[10]+x[9], 7)
		x[8] ^= R(x[11]+x[10], 9)
		x[9] ^= R(x[8]+x[11], 13)
		x[10] ^= R(x[9]+x[8], 18)
		x[12] ^= R(x[15]+x[14], 7)
		x[13] ^= R(x[12]+x[15], 9)
		x[14] ^= R(x[13]+x[12], 13)
		x[15] ^= R(x[14]+x[13], 18)
	}
	for i := 0; i < 16; i++ {
		B[i] += x[i*5%16]
	}
}

func xorWords(dst, src []uint32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] ^= src[i]
	}
}

func blockmixSalsa8(B, Y []uint32, r int) {
	var X [16]uint32
	copy(X[:], B[(2*r-1)*16:])
	for i := 0; i < 2*r; i++ {
		xorWords(X[:], B[i*16:i*16+16])
		salsa20(X[:], 8)
		copy(Y[i*16:], X[:])
	}
	for i := 0; i < r; i++ {
		copy(B[i*16:i*16+16], Y[(2*i)*16:])
		copy(B[(i+r)*16:(i+r)*16+16], Y[(2*i+1)*16:])
	}
}

func (c *pwxCtx) pwxform(Xs []uint32) {
	X := (*[pwxWords]uint32)(Xs)
	S0 := (*[2 * sPairs]uint32)(c.S[2*c.s0:])
	S1 := (*[2 * sPairs]uint32)(c.S[2*c.s1:])
	S2 := (*[2 * sPairs]uint32)(c.S[2*c.s2:])
	w := c.w
	for i := 0; i < pwxRounds; i++ {
		for j := 0; j < pwxGather; j++ {
			b := (*[4]uint32)(X[j*4:])
			// (lo & sMask) / 8 pairs = word index, a multiple of 4 below 1024.
			p0 := (b[0] >> 2) & (2*sPairs - 4)
			p1 := (b[1] >> 2) & (2*sPairs - 4)
			a0 := (*[4]uint32)(S0[p0:])
			a1 := (*[4]uint32)(S1[p1:])
			x := uint64(b[1])*uint64(b[0]) + (uint64(a0[1])<<32 | uint64(a0[0]))
			x ^= uint64(a1[1])<<32 | uint64(a1[0])
			y := uint64(b[3])*uint64(b[2]) + (uint64(a0[3])<<32 | uint64(a0[2]))
			y ^= uint64(a1[3])<<32 | uint64(a1[2])
			b[0], b[1], b[2], b[3] = uint32(x), uint32(x>>32), uint32(y), uint32(y>>32)
			if i != 0 && i != pwxRounds-1 {
				d := (*[4]uint32)(S2[(2*w)&(2*sPairs-4):])
				d[0], d[1], d[2], d[3] = b[0], b[1], b[2], b[3]
				w += 2
			}
		}
	}
	c.s0, c.s1, c.s2 = c.s2, c.s0, c.s1
	c.w = w & (sPairs - 1)
}

func blockmixPwxform(B, _ []uint32, c *pwxCtx, r int) {
	// In place: block i is XORed with the transformed block i-1 (block
	// r1-1, still untransformed, for i = 0) and transformed.
	r1 := 128 * r / (pwxWords * 4)
	for i := 0; i < r1; i++ {
		cur := B[i*pwxWords : (i+1)*pwxWords]
		if r1 > 1 {
			prev := (i + r1 - 1) % r1
			xorWords(cur, B[prev*pwxWords:(prev+1)*pwxWords])
		}
		c.pwxform(cur)
	}
	i := (r1 - 1) * pwxWords * 4 / 64
	salsa20(B[i*16:], 2)
	for i++; i < 2*r; i++ {
		xorWords(B[i*16:i*16+16], B[(i-1)*16:i*16])
		salsa20(B[i*16:], 2)
	}
}

func integerify(B []uint32, r int) uint64 {
	X := B[(2*r-1)*16:]
	return uint64(X[13])<<32 | uint64(X[0])
}

func p2floor(x uint64) uint64 {
	for y := x & (x - 1); y != 0; y = x & (x - 1) {
		x = y
	}
	return x
}

func wrap(x, i uint64) uint64 {
	n := p2floor(i)
	return x&(n-1) + (i - n)
}

// shuffle and unshuffle convert between the byte-order block layout and
// the "SIMD" word order the algorithm is specified in.
func shuffle(X, B []uint32, r int) {
	for k := 0; k < 2*r; k++ {
		for i := 0; i < 16; i++ {
			X[k*16+i] = B[k*16+i*5%16]
		}
	}
}

func unshuffle(B, X []uint32, r int) {
	for k := 0; k < 2*r; k++ {
		for i := 0; i < 16; i++ {
			B[k*16+i*5%16] = X[k*16+i]
		}
	}
}

func smix1(B []uint32, r int, N uint64, flags uint32, V, XY []uint32, c *pwxCtx) {
	s := 32 * r
	X, Y := XY[:s], XY[s:]
	shuffle(X, B, r)
	for i := uint64(0); i < N; i++ {
		copy(V[i*uint64(s):], X)
		if flags&yFlagRW != 0 && i > 1 {
			j := wrap(integerify(X, r), i)
			xorWords(X, V[j*uint64(s):j*uint64(s)+uint64(s)])
		}
		if c != nil {
			blockmixPwxform(X, Y, c, r)
		} else {
			blockmixSalsa8(X, Y, r)
		}
	}
	unshuffle(B, X, r)
}

func smix2(B []uint32, r int, N, Nloop uint64, flags uint32, V, XY []uint32, c *pwxCtx) {
	s := uint64(32 * r)
	X, Y := XY[:s], XY[s:]
	shuffle(X, B, r)
	for i := uint64(0); i < Nloop; i++ {
		j := integerify(X, r) & (N - 1)
		xorWords(X, V[j*s:j*s+s])
		if flags&yFlagRW != 0 {
			copy(V[j*s:], X)
		}
		if c != nil {
			blockmixPwxform(X, Y, c, r)
		} else {
			blockmixSalsa8(X, Y, r)
		}
	}
	unshuffle(B, X, r)
}

func smix(B []uint32, r int, N uint64, p, t uint32, flags uint32, V []uint32, passwd *[]byte) {
	s := 32 * r
	nchunk := N / uint64(p)
	nloopAll := nchunk
	if flags&yFlagRW != 0 {
		if t <= 1 {
			if t != 0 {
				nloopAll *= 2
			}
			nloopAll = (nloopAll + 2) / 3
		} else {
			nloopAll *= uint64(t) - 1
		}
	} else if t != 0 {
		if t == 1 {
			nloopAll += (nloopAll + 1) / 2
		}
		nloopAll *= uint64(t)
	}
	var nloopRW uint64
	if flags&yFlagRW != 0 {
		nloopRW = nloopAll / uint64(p)
	}
	nchunk &^= 1
	nloopAll = (nloopAll + 1) &^ 1
	nloopRW = (nloopRW + 1) &^ 1

	XY := make([]uint32, 2*s)
	ctxs := make([]pwxCtx, p)
	var vchunk uint64
	for i := uint32(0); i < p; i++ {
		np := nchunk
		if i == p-1 {
			np = N - vchunk
		}
		Bp := B[int(i)*s : int(i+1)*s]
		Vp := V[vchunk*uint64(s):]
		var c *pwxCtx
		if flags&yFlagRW != 0 {
			c = &ctxs[i]
			c.S = make([]uint32, sWords)
			smix1(Bp, 1, sBytes/128, 0, c.S, XY, nil)
			c.s2, c.s1, c.s0, c.w = 0, sPairs, 2*sPairs, 0
			if i == 0 {
				var kb [64]byte
				for k := 0; k < 16; k++ {
					binary.LittleEndian.PutUint32(kb[4*k:], Bp[s-16+k])
				}
				*passwd = hmacSHA256(kb[:], *passwd)
			}
		}
		smix1(Bp, r, np, flags, Vp, XY, c)
		smix2(Bp, r, p2floor(np), nloopRW, flags, Vp, XY, c)
		vchunk += nchunk
	}
	for i := uint32(0); i < p; i++ {
		var c *pwxCtx
		if flags&yFlagRW != 0 {
			c = &ctxs[i]
		}
		smix2(B[int(i)*s:int(i+1)*s], r, N, nloopAll-nloopRW, flags&^yFlagRW, V, XY, c)
	}
}
