package catalog

// fixMethods says, per check template, what its native fix changes
// (docs/remediation.md, "What is fixed, and how", has the details).
var fixMethods = map[string]string{
	"sshd_option":            "Writes the setting into a cradle-managed block at the top of /etc/ssh/sshd_config (sshd takes the first value it reads) and comments out conflicting lines elsewhere.",
	"sshd_crypto":            "Writes the algorithm list into a cradle-managed block at the top of /etc/ssh/sshd_config (sshd takes the first value it reads) and comments out conflicting lines elsewhere.",
	"sshd_rekey_limit":       "Writes RekeyLimit with the rule's data and time limits into the cradle-managed block at the top of /etc/ssh/sshd_config and comments out weaker lines elsewhere.",
	"sysctl":                 "Persists the value in /etc/sysctl.d/99-zz-cradle.conf, comments out conflicting entries that would win, and on the live host also sets the running value.",
	"kernel_module_disabled": "Adds `install MODULE /bin/false` and `blacklist MODULE` to /etc/modprobe.d/cradle-blacklist.conf; a loaded module stays loaded until reboot.",
	"mount_option":           "Adds the missing options to the mount point's /etc/fstab entry; they apply on remount or reboot. Without an entry the fix is deferred.",
	"audit_rule":             "Writes the audit rule into a cradle-owned file in /etc/audit/rules.d.",
	"limits":                 "Writes the limit into a cradle-owned file in /etc/security/limits.d.",
	"config_kv":              "Sets the key on its effective line, comments out duplicates, and appends it when absent.",
	"account_property":       "Changes the account fields in /etc/shadow or /etc/passwd (ageing, shell, lock) or the home directory's mode, keeping every other byte; root's password is never changed.",
	"pam_option":             "Sets the module argument on the effective PAM line, or inserts the missing module at the right place in the stack (pam-auth-update on Debian).",
	"shell_umask":            "Tightens each weak umask in the shell start-up files in place, or appends `umask MASK` to the first file when none is set.",
	"shell_timeout":          "Sets each TMOUT out of range to the maximum, or adds /etc/profile.d/cradle-tmout.sh setting it read-only and exported.",
	"root_path":              "Removes \".\", empty and relative entries from each PATH value set for root, or group and world write from the directories in it.",
	"sudo_option":            "Writes the Defaults setting into /etc/sudoers.d/cradle (0440), validated before it is applied.",
	"sudo_rule":              "Edits the offending sudoers rule (for NOPASSWD, removes only the tag) where every account it names keeps a way in; other rules are deferred.",
	"scheduler_access":       "Creates the allow list with root only (0640 root:root), or removes the deny list.",
	"dir_files_mode":         "Removes the excess permission bits of each offending file in the directory.",
	"rsyslog_file_mode":      "Lowers every file creation mode rsyslog reads to the limit, or adds $FileCreateMode to /etc/rsyslog.conf before the first rule.",
	"rsyslog_input":          "Comments out the network input modules, inputs and legacy listener directives that were found.",
	"file_mode":              "chmod, chown and chgrp the file; names are resolved through the target's own passwd and group.",
	"file_exists":            "Removes the files that must be absent (a symlink itself, not what it points to).",
	"fs_world_writable":      "Removes world write permission, or adds the sticky bit to world-writable directories.",
	"fs_suid":                "Removes unexpected setuid and setgid bits.",
	"fs_system_paths":        "Removes group and other write permission from entries of the system program and library directories, or gives them owner root and, where the group is not a system group, group root; setuid/setgid programs are deferred (chown clears those bits).",
	"kernel_cmdline":         "Appends the parameter to GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub.d/99-cradle.cfg; regenerating grub.cfg and rebooting are deferred to a person (without /etc/default/grub the whole fix is).",
	"home_files":             "Removes the listed files from the home directories (a symlink itself, not what it points to); directories are deferred.",
	"service_state":          "Enables, disables or masks the unit through its symlinks, as systemctl does (also offline).",
	"default_target":         "Points the default.target symlink at the expected target.",
	"package_absent":         "Removes the package through the package manager on the live host.",
	"package_installed":      "Installs the package through the package manager on the live host; deferred on an offline root.",
	"repo_signatures":        "Removes the APT source options that turn signature checks off, turns gpgcheck on for DNF repositories and drops apk's allow-untrusted.",
	"apt_conf":               "Sets the option in /etc/apt/apt.conf.d/99-cradle.conf and comments out later assignments that would override it.",
	"audit_privileged":       "Writes an audit rule for each setuid or setgid program without one into /etc/audit/rules.d/50-privileged.rules, keeping the rules already there.",
	"firewall":               "Sets ufw's DEFAULT_INPUT_POLICY or DEFAULT_FORWARD_POLICY to DROP in /etc/default/ufw after allowing every sshd port and, on a live host, every TCP and UDP port a service listens on for other hosts in user.rules (and user6.rules); with another firewall manager, or sshd's ports unknown, it is deferred with the commands.",
	"dnf_automatic":          "Sets apply_updates = yes in /etc/dnf/automatic.conf and enables the dnf-automatic timer.",
}

// FixMethod returns what the native fix of template does, in a sentence.
func FixMethod(template string) string {
	if m, ok := fixMethods[template]; ok {
		return m
	}
	return "cradle fix changes the configuration the rule checks; `cradle fix --rule ID` shows the exact change."
}
