package oval

import "testing"

func TestTranslatePCRE(t *testing.T) {
	for in, want := range map[string]string{
		`^\s*auth\N+pam_unix\.so`: `^\s*auth[^\n]+pam_unix\.so`,
		`a\\N`:                    `a\\N`,
		`[\N]`:                    `[\N]`,
		`[]\N]\N`:                 `[]\N][^\n]`,
		`\N{U+41}`:                `\N{U+41}`,
		`plain`:                   `plain`,
	} {
		if got := translatePCRE(in); got != want {
			t.Errorf("translatePCRE(%q) = %q, want %q", in, got, want)
		}
	}
	r, err := CompileRegex(`^auth\N+pam_unix\.so$`)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.MatchString("auth required pam_unix.so"); !ok {
		t.Error("no match")
	}
	if ok, _ := r.MatchString("auth\nrequired pam_unix.so"); ok {
		t.Error("\\N matched a newline")
	}
}
