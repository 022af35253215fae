#!/bin/sh
# Looks a term up in $GLOSSARY. Reads the call's arguments, {"term": "..."},
# on stdin and prints the matching entries, or a note that there are none.
args=$(cat)
term=$(printf '%s' "$args" | sed -n 's/.*"term"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
if [ -z "$term" ]; then
  echo "No term given; the glossary holds: $(cut -d: -f1 "$GLOSSARY" | tr '\n' ' ')"
  exit 0
fi
if ! grep -i "^$term:" "$GLOSSARY"; then
  echo "No entry for '$term'."
fi
