// Package checks implements cradle's built-in check templates. Each
// template is a small type with a Name, a typed argument struct decoded
// strictly from the rule, and an Evaluate over the fact store. Register
// adds them all to a registry; nothing registers itself implicitly.
package checks

import "github.com/cradle-cra/cradle/internal/check"

// Register adds every built-in template to reg.
func Register(reg *check.Registry) error {
	return reg.Register(all()...)
}

// Registry returns a registry with every built-in template.
func Registry() (*check.Registry, error) {
	reg := check.NewRegistry()
	if err := Register(reg); err != nil {
		return nil, err
	}
	return reg, nil
}

// all lists the built-in templates. Keep it sorted by file.
func all() []check.Template {
	return []check.Template{
		fileModeTemplate{},
		fileExistsTemplate{},
		homeFilesTemplate{},
		sshdOptionTemplate{}, sshdCryptoTemplate{}, sshdRekeyLimitTemplate{}, sshdLoginRestrictedTemplate{}, sshdAuthMethodsTemplate{}, sshdValidTemplate{}, sysctlTemplate{}, kernelModuleDisabledTemplate{}, mountOptionTemplate{}, // ssh/sysctl/kmod/mount area
		defaultCredsTemplate{}, exprTemplate{}, // product area
		configKVTemplate{}, accountPropertyTemplate{}, pamOptionTemplate{}, sudoOptionTemplate{}, sudoRuleTemplate{}, auditRuleTemplate{}, fileContentTemplate{}, dirFilesModeTemplate{}, rsyslogFileModeTemplate{}, limitsTemplate{}, shellUmaskTemplate{}, rootPathTemplate{}, shellTimeoutTemplate{}, rsyslogInputTemplate{}, schedulerAccessTemplate{}, // accounts/auth/logging area
		packageInstalledTemplate{}, packageAbsentTemplate{}, serviceStateTemplate{}, defaultTargetTemplate{}, repoSignaturesTemplate{}, repoTransportTemplate{}, aptConfTemplate{}, dnfAutomaticTemplate{}, // packages/services/pkgtrust area
		fsWorldWritableTemplate{}, fsUnownedTemplate{}, fsSUIDTemplate{}, fsSystemPathsTemplate{}, kernelCmdlineTemplate{}, kernelConfigTemplate{}, listeningSocketsTemplate{}, kernelModuleLoadedTemplate{}, // filesystem-wide/live area
		auditPrivilegedTemplate{}, journaldRetentionTemplate{}, logrotateRotateTemplate{}, remoteLoggingTemplate{}, // audit/logging retention and remote logging
		firewallTemplate{}, // firewall area
	}
}
