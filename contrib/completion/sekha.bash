# bash completion for sekha (installed as share/bash-completion/completions/sekha).
# The command list is kept equal to `sekha help` by the cli_newcomer test.

_sekha() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local _sekha_commands="store get list count label folder pin archive delete query search context summarize prune suggest-labels metrics rebuild-embeddings complete embed models providers route mcp chat health version help"
    local common="--controller-url --bridge-url --mcp-url --api-key --bridge-api-key --mcp-api-key --timeout --retries --rate-limit --json --verbose --trace --trace-summary --record --no-traceparent --help"

    case $prev in
        --trace|--record)
            COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --controller-url|--bridge-url|--mcp-url|--api-key|--bridge-api-key|--mcp-api-key|\
        --timeout|--retries|--rate-limit|--label|--folder|--limit|--budget|--model|--args|\
        --url|--sse|--stdio|--importance|--page|--page-size|--days|--system|--temperature|\
        --max-tokens|--context-query|--memory-query|--exclude-folder|--filters|--max-cost|\
        --context-size)
            return 0 ;;
        --level)
            COMPREPLY=($(compgen -W "daily weekly monthly" -- "$cur")); return 0 ;;
        --api)
            COMPREPLY=($(compgen -W "sekha sekha-v1 openai" -- "$cur")); return 0 ;;
    esac

    # The command is the first word that is neither a flag nor a flag's value.
    local i cmd="" w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            --controller-url|--bridge-url|--mcp-url|--api-key|--bridge-api-key|--mcp-api-key|\
            --timeout|--retries|--rate-limit) ((i++)) ;;
            -*) ;;
            *) cmd=$w; break ;;
        esac
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$common" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_sekha_commands" -- "$cur"))
        fi
        return 0
    fi
    case $cmd in
        help)
            COMPREPLY=($(compgen -W "$_sekha_commands" -- "$cur")); return 0 ;;
        mcp)
            if [[ $cur != -* && $prev == mcp ]]; then
                COMPREPLY=($(compgen -W "tools call stats search login logout" -- "$cur")); return 0
            fi ;;
        route)
            if [[ $cur != -* && $prev == route ]]; then
                COMPREPLY=($(compgen -W "embedding chat_small chat_large chat_smart vision audio image_generation" -- "$cur")); return 0
            fi ;;
    esac
    if [[ $cur == -* ]]; then
        # Per-command flags come from `sekha CMD --help`, so they never go stale.
        local own
        own=$(sekha "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
        COMPREPLY=($(compgen -W "$own $common" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _sekha sekha
