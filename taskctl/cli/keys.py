"""`taskctl keys init|show|trust|untrust`: the runner's signing key and the repository's trust
policy (`.tasks/trust.yaml`). Private keys stay in the user's config dir (docs/verify.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from taskctl.cli.common import emit_json, state
from taskctl.errors import SigningKeyError, TasksDirNotFound

keys_app = typer.Typer(help="Signing keys and the trust policy (.tasks/trust.yaml).",
                       no_args_is_help=True)
JSON = typer.Option("--json", help="Machine-readable output.")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


def _policy(ctx: typer.Context):
    from taskctl.core.verify import trust

    try:
        root = state(ctx).root()
    except TasksDirNotFound:
        return None, None
    return root, trust.load(root)


def _key_dict(signer) -> dict:
    from taskctl.core.verify import keys

    return {"keyid": signer.keyid, "public_key": keys.public_text(signer.public),
            "source": signer.source}


@keys_app.command("init")
def init(
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key (evidence "
                                        "it signed stays valid only while it is trusted).")
                     ] = False,
    as_json: Annotated[bool, JSON] = False,
) -> None:
    """Create this runner's ed25519 signing key (0600, in the user's config dir)."""
    from taskctl.core.verify import keys

    signer, created = keys.init(force=force)
    if as_json:
        emit_json({"created": created, "key": _key_dict(signer)})
        return
    typer.echo(("created" if created else "already present:") + f" {signer.source}")
    typer.echo(f"key id:     {signer.keyid}")
    typer.echo(f"public key: {keys.public_text(signer.public)}")
    typer.echo("next: `taskctl keys trust` in each repository that should accept its records")


@keys_app.command("show")
def show(ctx: typer.Context, as_json: Annotated[bool, JSON] = False) -> None:
    """This runner's key (id, public key, where it is read from) and the trusted keys."""
    from taskctl.core.verify import keys

    signer = keys.load_signer()
    root, policy = _policy(ctx)
    if as_json:
        emit_json({"key": _key_dict(signer) if signer else None,
                   "policy": policy.to_dict() if policy and policy.exists else None})
        return
    if signer is None:
        typer.echo("no signing key (run `taskctl keys init`)")
    else:
        for label, value in _key_dict(signer).items():
            typer.echo(f"{label + ':':12}{value}")
    if policy is None or not policy.exists:
        typer.echo("no trust policy here (`taskctl keys trust` creates .tasks/trust.yaml)")
        return
    typer.echo(f"repo id:    {policy.repo_id}")
    typer.echo(f"trusted keys ({policy.path.name}):" if policy.keys else "trusted keys: none")
    for k in policy.keys.values():
        mine = "  (this runner)" if signer and k.keyid == signer.keyid else ""
        typer.echo(f"  {k.keyid[:16]}  {k.name or '-':20}  "
                   f"{', '.join(k.capabilities) or 'no capabilities'}{mine}")


@keys_app.command("trust")
def trust_(
    ctx: typer.Context,
    public_key: Annotated[str | None, typer.Argument(
        help="Base64 ed25519 public key (default: this runner's key).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Who holds the key.")] = None,
    caps: Annotated[str | None, typer.Option(
        "--capabilities", help="What its runner may attest, comma-separated "
        "(gpu,tpu,network,docker; \"\" for none). Default: keep / none.")] = None,
    as_json: Annotated[bool, JSON] = False,
) -> None:
    """Trust a key's evidence in this repository (writes .tasks/trust.yaml; commit it)."""
    from taskctl.core.verify import batch, capabilities, keys, trust

    root = state(ctx).root()
    if public_key is None:
        signer = keys.load_signer()
        if signer is None:
            raise SigningKeyError("no signing key to trust", "run `taskctl keys init` first, "
                                  "or pass a public key")
        public_key = keys.public_text(signer.public)
        name = batch.default_by() if name is None and signer.keyid not in trust.load(
            root).keys else name
    cap_list = None if caps is None else sorted(capabilities.parse(caps))
    policy, entry = trust.trust(root, public_key, name, cap_list)
    if as_json:
        emit_json({"repo_id": policy.repo_id, "key": entry.to_dict()})
        return
    typer.echo(f"trusted {entry.keyid[:16]} ({entry.name or 'unnamed'}) in {policy.path}: "
               f"may attest {', '.join(entry.capabilities) or 'no capability'}")


@keys_app.command("untrust")
def untrust(
    ctx: typer.Context,
    keyid: Annotated[str, typer.Argument(help="The key id (8+ leading hex digits).")],
) -> None:
    """Stop trusting a key: every record it signed stops counting here."""
    from taskctl.core.verify import trust

    entry = trust.untrust(state(ctx).root(), keyid)
    typer.echo(f"removed {entry.keyid[:16]} ({entry.name or 'unnamed'})")
