#!/usr/bin/env bash
# Checks the Helm chart (deploy/helm/consent-ledger) the way a cluster would see it: `helm lint --strict`,
# then every rendering of it through kubeconform -strict against the Kubernetes JSON schemas. A finding
# fails the run. Part of `make test`, and `make chart-check` on its own.
#   usage: chart.sh install|check
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHART="$PROJECT_ROOT/deploy/helm/consent-ledger"
HELM="$CACHE_DIR/helm/$HELM_VERSION/helm"
KUBECONFORM="$CACHE_DIR/kubeconform/$KUBECONFORM_VERSION/kubeconform"
SCHEMAS="$CACHE_DIR/kubernetes-schemas/${KUBERNETES_SCHEMAS_WHEEL#*==}"
SCHEMA_DIR="v$KUBERNETES_VERSION-local-strict"

install() {
  go_tool_install "$HELM" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" || die "go install of helm $HELM_VERSION failed"
  go_tool_install "$KUBECONFORM" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" \
    || die "go install of kubeconform $KUBECONFORM_VERSION failed"
  install_schemas
}

# Only the one Kubernetes release checked, unpacked from the sha256-pinned wheel; the marker is written
# last, so a half-finished unpack is redone rather than trusted.
install_schemas() {
  [[ -f "$SCHEMAS/$SCHEMA_DIR/.complete" ]] && return 0
  local tmp whl; mkdir -p "$SCHEMAS"; tmp="$(mktemp -d "$SCHEMAS/.wheel.XXXXXX")"
  log "fetching Kubernetes $KUBERNETES_VERSION JSON schemas ($KUBERNETES_SCHEMAS_WHEEL from PyPI, sha256-pinned)"
  whl="$(pip_wheel_verified "$KUBERNETES_SCHEMAS_WHEEL" "$KUBERNETES_SCHEMAS_WHEEL_SHA256" "$tmp")" \
    || { rm -rf "$tmp"; die "could not fetch $KUBERNETES_SCHEMAS_WHEEL with its pinned sha256"; }
  rm -rf "${SCHEMAS:?}/$SCHEMA_DIR"
  wheel_extract "$whl" "kubernetes_validate/kubernetes-json-schema/$SCHEMA_DIR/" "$SCHEMAS/$SCHEMA_DIR" \
    || { rm -rf "$tmp"; die "$whl has no schemas for Kubernetes $KUBERNETES_VERSION"; }
  rm -rf "$tmp"; localise_schema_refs "$SCHEMAS/$SCHEMA_DIR"
  touch "$SCHEMAS/$SCHEMA_DIR/.complete"
}

# The wheel's schemas name themselves https://kubernetes.io/api/… ($id) and point at their shared
# definitions as /api/_definitions.json, which kubeconform would try to download. Without the $id and
# with the reference made relative, each resolves to _definitions.json beside it, on disk.
localise_schema_refs() {
  python3 - "$1" <<'PY'
import json, pathlib, sys
for path in pathlib.Path(sys.argv[1]).glob("*.json"):
    text = path.read_text().replace('"/api/_definitions.json#', '"_definitions.json#')
    schema = json.loads(text)
    schema.pop("$id", None)
    path.write_text(json.dumps(schema))
PY
}

# Each values file under ci/ is one more way the chart is rendered and checked (the defaults first).
renderings() { echo ""; find "$CHART/ci" -name '*-values.yaml' 2>/dev/null | sort; }

check() {
  install
  local values args out rc=0
  while IFS= read -r values; do
    args=(); [[ -n "$values" ]] && args=(-f "$values")
    log "chart: helm lint --strict ${values:+-f ${values#"$PROJECT_ROOT"/}}"
    "$HELM" lint --strict --kube-version "$KUBERNETES_VERSION" "$CHART" "${args[@]}" || rc=1
    out="$("$HELM" template consent-ledger "$CHART" --namespace consent --kube-version "$KUBERNETES_VERSION" "${args[@]}")" || { rc=1; continue; }
    printf '%s\n' "$out" | "$KUBECONFORM" -strict -summary -kubernetes-version "$KUBERNETES_VERSION" \
      -schema-location "$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      || rc=1
  done < <(renderings)
  (( rc == 0 )) || die "the Helm chart has findings (above)"
}

case "${1:-}" in
  install) install ;;
  check) check ;;
  *) echo "usage: $0 install|check" >&2; exit 2 ;;
esac
