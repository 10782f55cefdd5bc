package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

const fxLimitsConf = "# /etc/security/limits.conf\n#\n#<domain>      <type>  <item>         <value>\n#\n\n#*               soft    core            0\n#root            hard    core            100000\n\n# End of file\n"

func TestLimitsFix(t *testing.T) {
	deb := map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n", "etc/security/limits.conf": fxLimitsConf}
	rhel := map[string]string{"etc/os-release": "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n", "etc/security/limits.conf": fxLimitsConf,
		"etc/security/limits.d/20-nproc.conf": "*          soft    nproc     4096\nroot       soft    nproc     unlimited\n"}
	tests := []struct {
		name  string
		files map[string]string
		other map[string]string
	}{
		{"debian unset", deb, nil},
		{"rhel unset", rhel, nil},
		{"earlier wildcard overridden, left alone", fxMerge(deb, map[string]string{"etc/security/limits.d/50-cradle-coredump.conf": "*\thard\tcore\tunlimited\n"}),
			map[string]string{"etc/security/limits.d/50-cradle-coredump.conf": "*\thard\tcore\tunlimited\n"}},
		{"later wildcard and user entries commented", fxMerge(rhel, map[string]string{
			"etc/security/limits.conf":           fxLimitsConf + "@dev\thard\tcore\tunlimited\n",
			"etc/security/limits.d/zz-dump.conf": "*  -  core  unlimited\nalice hard core 0\n"}),
			map[string]string{"etc/security/limits.conf": "#cradle: @dev\thard\tcore\tunlimited\n", "etc/security/limits.d/zz-dump.conf": "#cradle: *  -  core  unlimited\nalice hard core 0\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, limitsTemplate{}, `{item: core, type: hard, max: 0}`, fxTree(t, tt.files))
			if got, want := planned(t, ch, limitsFixConf), limitsFixHeader+"\n*\thard\tcore\t0\n"; got != want {
				t.Errorf("cradle.conf %q, want %q", got, want)
			}
			for p, w := range tt.other {
				fxContains(t, p, planned(t, ch, p), w)
			}
			fxHasEffect(t, ch, remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "limits hard core", Value: "0"})
		})
	}
}

func TestLimitsFixComposition(t *testing.T) {
	rules := []string{`{item: core, type: hard, max: 0}`, `{item: core, type: soft, max: 0}`, `{item: maxlogins, type: hard, max: 10}`}
	ch := planTogether(t, fxTree(t, map[string]string{"etc/security/limits.conf": fxLimitsConf}), "limits", limitsTemplate{}, rules...)
	if got, want := planned(t, ch, limitsFixConf), limitsFixHeader+"\n*\thard\tcore\t0\n*\tsoft\tcore\t0\n*\thard\tmaxlogins\t10\n"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}
