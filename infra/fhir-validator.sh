#!/usr/bin/env bash
# Installs HAPI FHIR's R4 validator (jars from Maven Central, resolved by infra/fhir-validator/pom.xml)
# and compiles infra/fhir-validator/Validate.java against them, into the project cache; prints the path of
# an executable that validates the FHIR JSON files given as arguments (one JSON result line each).
# Idempotent: with the cache in place it only prints the path (Maven offline, nothing recompiled).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pinned: changing it is a deliberate commit (also in infra/fhir-validator/pom.xml).
HAPI_FHIR_VERSION="8.4.0"

src="$INFRA_DIR/fhir-validator"
home="$CACHE_DIR/fhir-validator/$HAPI_FHIR_VERSION"
bin="$home/bin/fhir-validate"
# The sources' hash is in the marker: an edit of Validate.java or the pom recompiles.
stamp="$(cat "$src/pom.xml" "$src/Validate.java" | sha256sum | cut -c1-16)"
if [[ "$(cat "$home/.complete" 2>/dev/null)" != "$stamp" ]]; then
  command -v java >/dev/null || die "Java is needed for the FHIR validator (java not on PATH)"
  command -v mvn >/dev/null || die "Maven is needed to fetch the FHIR validator (mvn not on PATH)"
  log "resolving HAPI FHIR $HAPI_FHIR_VERSION validator jars with Maven"
  offline=()
  [[ -d "$home/libs" ]] && offline=(-o)
  mkdir -p "$home"
  maven -q -B "${offline[@]}" -Dstyle.color=never -f "$src/pom.xml" -Dhapi.fhir.version="$HAPI_FHIR_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$home/libs" >&2 \
    || maven -q -B -Dstyle.color=never -f "$src/pom.xml" -Dhapi.fhir.version="$HAPI_FHIR_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$home/libs" >&2 \
    || die "Maven could not resolve HAPI FHIR $HAPI_FHIR_VERSION"
  rm -rf "$home/classes" && mkdir -p "$home/classes" "$home/bin"
  javac -nowarn -d "$home/classes" -cp "$home/libs/*" "$src/Validate.java" >&2 || die "Validate.java did not compile"
  cat > "$bin.tmp" <<SH
#!/usr/bin/env bash
exec java -Xshare:auto -cp '$home/classes:$home/libs/*' Validate "\$@"
SH
  chmod +x "$bin.tmp" && mv -f "$bin.tmp" "$bin"
  echo "$stamp" > "$home/.complete"
fi
printf '%s\n' "$bin"
