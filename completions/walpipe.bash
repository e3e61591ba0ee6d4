# walpipe.bash: bash completion for pg-wal-tail, cdc-envelope, kafka-pub,
# kafka-sub, pg-apply and walpipe-ctl.
#
# Long options come from each command's --help, read once per shell, so
# they never drift from the commands; option values that are a choice or a
# file are completed as such. Installed once per command name in
# bash-completion's directory (make install, the Debian package), or
# sourced from ~/.bashrc.

declare -gA _walpipe_opts_cache

# _walpipe_long_opts CMD: CMD's long options, "--name=" for those that take
# a value.
_walpipe_long_opts() {
	local cmd=$1
	if [[ -z ${_walpipe_opts_cache[$cmd]+set} ]]; then
		# Option lines: "  -d, --dbname=CONNINFO  ..." or "      --create-slot  ...".
		_walpipe_opts_cache[$cmd]=$("$cmd" --help 2>/dev/null |
			sed -nE 's/^ +(-[A-Za-z0-9], +)?(--[a-z][a-z0-9-]*)(\[?=)?.*/\2\3/p' |
			sed 's/\[=$/=/' | sort -u)
	fi
	printf '%s\n' "${_walpipe_opts_cache[$cmd]}"
}

# _walpipe_values OPTION: the values OPTION takes if they are a fixed list;
# "@file" for a file name; nothing otherwise.
_walpipe_values() {
	case $1 in
	--snapshot) echo "initial never initial-only" ;;
	--decimal) echo "precise double string" ;;
	--time-precision) echo "adaptive connect" ;;
	--unwrap-delete) echo "drop tombstone rewrite" ;;
	--binary) echo "text base64" ;;
	-m | --insert-mode) echo "insert upsert update" ;;
	-k | --pk-mode) echo "none record_key record_value" ;;
	--schema-evolution) echo "none basic" ;;
	--errors) echo "stop skip" ;;
	-c | --connector-config | --config | -F | --config-file | --ack-file | --metrics-file | \
		--dead-letter | --state-dir) echo "@file" ;;
	esac
}

_walpipe() {
	local cmd=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]} prev= values opt
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	# "--option=value": bash splits at "=" when it is in COMP_WORDBREAKS.
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*} cur=${cur#*=}
	elif [[ $cur == = && $prev == --* ]]; then
		opt=$prev cur=
	elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	else
		opt=$prev
	fi
	if [[ $cmd == walpipe-ctl && $COMP_CWORD -eq 1 ]]; then
		mapfile -t COMPREPLY < <(compgen -W "status metrics remove --help" -- "$cur")
		return
	fi
	values=$(_walpipe_values "$opt")
	if [[ $values == @file ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return
	elif [[ -n $values ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_walpipe_long_opts "$cmd")" -- "$cur")
		[[ ${#COMPREPLY[@]} -ne 1 || ${COMPREPLY[0]} != *= ]] || compopt -o nospace 2>/dev/null
	fi
}

complete -F _walpipe pg-wal-tail cdc-envelope kafka-pub kafka-sub pg-apply walpipe-ctl
