package auditrules

// lsVersionLess orders file names as GNU "ls -v" does: filevercmp (the
// algorithm gnulib documents in filevercmp.h), ties broken by byte order.
func lsVersionLess(a, b string) bool {
	if c := filevercmp(a, b); c != 0 {
		return c < 0
	}
	return a < b
}

// filevercmp compares two file names as versions: a trailing suffix
// (sequences of "." followed by a letter or "~" and then letters, digits
// or "~") is compared only when the rest is equal; names starting with
// "." sort first; within the rest, runs of digits compare numerically and
// other characters with letters before non-letters and "~" before
// everything, even the end of the name.
func filevercmp(a, b string) int {
	if a == b {
		return 0
	}
	switch {
	case a == "":
		return -1
	case b == "":
		return 1
	}
	if a[0] == '.' || b[0] == '.' {
		switch {
		case a == ".":
			return -1
		case b == ".":
			return 1
		case a == "..":
			return -1
		case b == "..":
			return 1
		case a[0] == '.' && b[0] != '.':
			return -1
		case a[0] != '.' && b[0] == '.':
			return 1
		}
		a, b = a[1:], b[1:]
	}
	ap, bp := prefixLen(a), prefixLen(b)
	if r := verrevcmp(a[:ap], b[:bp]); r != 0 || ap == len(a) && bp == len(b) {
		return r
	}
	return verrevcmp(a, b)
}

// prefixLen is the length of s without its file suffix.
func prefixLen(s string) int {
	n := len(s)
	prefix := 0
	for i := 0; ; {
		if i == n {
			return prefix
		}
		i++
		prefix = i
		for i+1 < n && s[i] == '.' && (isAlpha(s[i+1]) || s[i+1] == '~') {
			for i += 2; i < n && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '~'); i++ {
			}
		}
	}
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func order(s string, pos int) int {
	if pos == len(s) {
		return -1
	}
	c := s[pos]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -2
	}
	return int(c) + 256
}

func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		first := 0
		for i < len(a) && !isDigit(a[i]) || j < len(b) && !isDigit(b[j]) {
			ac, bc := order(a, i), order(b, j)
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return first
		}
	}
	return 0
}
