[ "plain" "a\n${x}c" "${y}" "esc \${not}" ]
