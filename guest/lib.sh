# shellcheck shell=sh
# Helpers for the guest stages; sourced, never run.

# cmdline_arg NAME: the value of NAME=VALUE on the kernel command line,
# empty when it is not there.
cmdline_arg() {
	for arg in $(cat /proc/cmdline); do
		case $arg in
		"$1"=*) echo "${arg#*=}" ;;
		esac
	done
}

# cs: the uptime in centiseconds (shell builtins only).
cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}
