# Lists the functions the test seam declares or defines: every function at
# namespace or class scope inside an `#if TEMPIO_TEST_SEAM` (or `#ifdef`,
# `#if defined(...)`) branch, as "on <qualified name>", and those inside its
# `#else` branch (release stand-ins, e.g. a constexpr no-op of the same name)
# as "off <qualified name>". scripts/check_release_symbols.sh reads it, so
# its list of hooks comes from the sources and cannot go stale.
#   awk -f scripts/seam_hooks.awk $(find src include -name '*.[ch]pp')
#
# Not a C++ parser: it follows braces (namespace, class, anything else is a
# block whose contents are skipped) and reads each declaration as the text
# since the last `;`, `{` or `}`: a function is an identifier, qualified or
# not, right before the first `(`, with no `=` before it. Every branch of a
# conditional starts from the braces its `#if` saw, and the first branch's
# braces carry on. The script cross-checks the list against the symbols only
# a seam build defines, so what this misses or invents does not pass unseen.

function push(kind, name) { scope[++depth] = kind; scope_name[depth] = name }

function qualified(name,    q, i) {
    q = ""
    for (i = 1; i <= depth; ++i)
        if (scope[i] == "ns" || scope[i] == "class") q = q scope_name[i] "::"
    return q name
}

function at_declaration_scope(    i) {
    for (i = 1; i <= depth; ++i)
        if (scope[i] == "block") return 0
    return 1
}

# The seam state of this line: "on" inside a seam branch, "off" inside its
# #else (and not inside an "on" one), "" elsewhere.
function seam_state(    i, s) {
    s = ""
    for (i = 1; i <= ncond; ++i) {
        if (cond_seam[i] == "on") return "on"
        if (cond_seam[i] == "off") s = "off"
    }
    return s
}

function save_scopes(    i, s) {
    s = depth
    for (i = 1; i <= depth; ++i) s = s SUBSEP scope[i] SUBSEP scope_name[i]
    return s
}

function restore_scopes(s,    parts, n, i) {
    n = split(s, parts, SUBSEP)
    depth = parts[1]
    for (i = 1; i <= depth; ++i) {
        scope[i] = parts[2 * i]
        scope_name[i] = parts[2 * i + 1]
    }
}

# Drops leading template headers ("template <class T, ...>", nested angle
# brackets included): their parentheses and class keywords are not the
# declaration's.
function strip_templates(t,    i, n, level, c) {
    while (t ~ /^ ?template ?</) {
        i = index(t, "<")
        level = 0
        n = length(t)
        for (; i <= n; ++i) {
            c = substr(t, i, 1)
            if (c == "<") ++level
            else if (c == ">" && --level == 0) break
        }
        t = substr(t, i + 1)
    }
    return t
}

# A declaration ended (at `;` or `{`): report it if it is a function.
function declaration(text,    state, head, name) {
    state = seam_state()
    if (state == "" || !at_declaration_scope()) return
    gsub(/[ \t]+/, " ", text)
    text = strip_templates(text)
    sub(/^ /, "", text)
    if (text ~ /^(using|typedef|namespace|static_assert|friend|return|class|struct|union|enum)[ ({<]/) return
    if (index(text, "(") == 0) return
    head = substr(text, 1, index(text, "(") - 1)
    if (head ~ /=/) return
    if (!match(head, /[A-Za-z_][A-Za-z0-9_:]*[ ]*$/)) return
    name = substr(head, RSTART, RLENGTH)
    sub(/[ ]+$/, "", name)
    if (name ~ /(^|::)operator$/ || substr(head, RSTART - 1, 1) == "~") return
    # A one-word head is a call or a macro, not a declaration (no type).
    if (head ~ /^[ ]*[A-Za-z_][A-Za-z0-9_:]*[ ]*$/) return
    print state, qualified(name)
}

# What a `{` opens, from the text before it.
function open_scope(text,    t) {
    t = text
    gsub(/[ \t]+/, " ", t)
    t = strip_templates(t)
    if (match(t, /(^| )namespace( [A-Za-z_][A-Za-z0-9_:]*)? ?$/)) {
        sub(/^.*namespace ?/, "", t)
        sub(/ $/, "", t)
        push("ns", t == "" ? "(anonymous namespace)" : t)
    } else if (t ~ /(^| )extern ""$/ || t ~ /(^| )extern "" $/) {
        push("extern", "")
    } else if (index(t, "(") == 0 && match(t, /(^| )(class|struct|union) [A-Za-z_][A-Za-z0-9_]*/)) {
        t = substr(t, RSTART, RLENGTH)
        sub(/^ ?(class|struct|union) /, "", t)
        push("class", t)
    } else {
        if (index(t, "(")) declaration(text)
        push("block", "")
    }
}

FNR == 1 { depth = 0; ncond = 0; text = ""; in_comment = 0; continued = 0 }

{
    line = $0
    # Comments and literals, so their braces and parentheses do not count.
    if (in_comment) {
        if (!sub(/^.*\*\//, "", line)) next
        in_comment = 0
    }
    gsub(/\/\*.*\*\//, " ", line)
    if (sub(/\/\*.*$/, "", line)) in_comment = 1
    gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
    gsub(/'([^'\\]|\\.)*'/, "''", line)
    sub(/\/\/.*$/, "", line)

    # A directive's continued lines (a macro's body) are the directive's.
    if (continued) {
        continued = line ~ /\\$/
        next
    }
    if (line ~ /^[ \t]*#/) {
        continued = line ~ /\\$/
        d = line
        sub(/^[ \t]*#[ \t]*/, "", d)
        seam = d ~ /TEMPIO_TEST_SEAM/
        if (d ~ /^if/) {
            ++ncond
            negated = d ~ /^ifndef/ || d ~ /^if[ \t]*!/
            cond_seam[ncond] = !seam ? "" : negated ? "off" : "on"
            cond_first[ncond] = cond_seam[ncond]
            cond_start[ncond] = save_scopes()
            cond_end[ncond] = ""
        } else if (d ~ /^(else|elif)/ && ncond > 0) {
            if (cond_end[ncond] == "") cond_end[ncond] = save_scopes()
            restore_scopes(cond_start[ncond])
            # After a seam branch, the other ones are the release's.
            if (cond_first[ncond] != "") cond_seam[ncond] = cond_first[ncond] == "on" ? "off" : "on"
        } else if (d ~ /^endif/ && ncond > 0) {
            if (cond_end[ncond] != "") restore_scopes(cond_end[ncond])
            --ncond
        }
        next
    }

    n = length(line)
    for (i = 1; i <= n; ++i) {
        c = substr(line, i, 1)
        if (c == "{") {
            open_scope(text)
            text = ""
        } else if (c == "}") {
            if (depth > 0) --depth
            text = ""
        } else if (c == ";") {
            declaration(text)
            text = ""
        } else {
            text = text c
        }
    }
    text = text " "
}
