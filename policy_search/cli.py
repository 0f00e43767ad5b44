"""The ``policy-search`` command line: the one composition root.

It is the only module that reaches out to ``indexer`` (ingest) and
``web`` (serve), importing them inside the commands that need them. Library
errors become one line with a hint and a non-zero exit code, never a traceback.
"""
from __future__ import annotations

import json
import os
import sys
import traceback

import click

from policy_search.errors import PolicyNotFoundError, PolicySearchError
from policy_search.models import DOC_TYPE_NAMES_ZH, DOC_TYPES, LEVEL_NAMES_ZH
from policy_search.search.filters import FILTER_FIELDS, FLAG, REGION
from policy_search.search.service import SORTS, open_service
from policy_search.settings import resolve_data_dir, setting_default, setting_env
from policy_search.storage.backend import BACKENDS


class FriendlyGroup(click.Group):
    """A click group that turns every error into a message with a hint."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PolicySearchError as exc:
            _fail(exc.message, exc.hint)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except BrokenPipeError:  # the reader went away (`policy-search list | head`): not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence for the user
            if os.environ.get("POLICY_SEARCH_DEBUG"):
                traceback.print_exc()
            _fail(f"unexpected failure: {type(exc).__name__}: {exc}",
                  "run again with POLICY_SEARCH_DEBUG=1 to see the details, and report them")


def _fail(message: str, hint: str | None, status: int = 1) -> None:
    click.echo(f"Error: {message}", err=True)
    if hint:
        click.echo(f"Hint: {hint}", err=True)
    sys.exit(status)


def _checked_base_url(ctx, param, value):
    """--base-url as it is read: an unusable address is a usage error (exit 2) with a hint."""
    from policy_search.links import check_base_url

    if not (value or "").strip():
        return None
    try:
        return check_base_url(value)
    except PolicySearchError as exc:
        _fail(f"--base-url: {exc.message}", exc.hint, status=2)


def _checked_allowed_hosts(ctx, param, value):
    """--allowed-hosts as it is read: the host list, or a usage error (exit 2) with a hint."""
    from policy_search.links import parse_allowed_hosts

    if not (value or "").strip():
        return None
    try:
        parse_allowed_hosts(value)
    except PolicySearchError as exc:
        _fail(f"--allowed-hosts: {exc.message}", exc.hint, status=2)
    return value


#: ``--type`` of the commands that list policies only unless asked for more (match, booklet).
type_or_all_option = click.option(
    "--type", "doc_type", type=click.Choice([*DOC_TYPES, "all"]), default="policy", show_default=True,
    help="The type of documents listed: policies only, another type, or all of them.")


def _emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def filter_options(*names: str, without: tuple[str, ...] = ()):
    """The options of the filters named (default: every one of :data:`filters.FILTER_FIELDS`),
    but those ``without``."""
    chosen = [f for f in FILTER_FIELDS if (not names or f.name in names) and f.name not in without]

    def add(func):
        for spec in reversed(chosen):  # click lists options in the order they are added, last first
            if spec.kind == FLAG:
                func = click.option(spec.option, is_flag=True, help=spec.help)(func)
            elif spec.fixed:
                func = click.option(spec.option, type=click.Choice(spec.values()), help=spec.help)(func)
            else:
                func = click.option(spec.option, help=spec.help)(func)
        return func
    return add


@click.group(cls=FriendlyGroup)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Where the index and catalog live [env POLICY_SEARCH_DATA_DIR; default ./var].")
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default=None,
              help="Where the index lives: local (in the data directory) or opensearch "
                   "[env POLICY_SEARCH_BACKEND; default local].")
@click.option("--opensearch-url", default=None, metavar="URLS",
              help="OpenSearch node URLs, comma-separated, for --backend opensearch "
                   "[env POLICY_SEARCH_OPENSEARCH_URL].")
@click.option("--rules-dir", type=click.Path(file_okay=False), default=None,
              help="A folder of edited rule files (topics.json, synonyms.txt ...) read instead of the "
                   "shipped ones; files it lacks come from the package [env POLICY_SEARCH_RULES_DIR].")
@click.version_option(package_name="policy-search")
@click.pass_context
def main(ctx, data_dir, backend, opensearch_url, rules_dir):
    """Search Chinese government policy documents: ingest files, then search them."""
    from policy_search.rules import rules_dir as checked_rules_dir

    # as settings in the environment, so that every process of the command (ingest workers,
    # the web server's processes) opens the same backend and reads the same rules
    for name, value in (("backend", backend), ("opensearch_url", opensearch_url), ("rules_dir", rules_dir)):
        if value:
            os.environ[setting_env(name)] = value
    checked_rules_dir()  # a rules folder that is not one fails here, with a hint
    ctx.obj = {"data_dir": resolve_data_dir(data_dir)}


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--dry-run", is_flag=True, help="Read and report, write nothing.")
@click.option("--prune", is_flag=True,
              help="Also remove the policies of files catalogued under the folders given that no longer "
                   "exist (with --dry-run: list them, remove nothing).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait for another running ingest to finish, or exit at once.")
@click.option("--json", "as_json", is_flag=True, help="Print the batch report as JSON.")
@click.option("--replace-ids", is_flag=True,
              help="Let a given id (sidecar or bulk 'id') replace the policy another file gave.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes reading and segmenting files (default: one per CPU core; "
                   "small batches are read in-process).")
@click.pass_obj
def ingest(obj, paths, dry_run, prune, wait, as_json, replace_ids, jobs):
    """Ingest policy files and folders (PDF, DOCX, HTML, TXT, MD, TSV, JSONL).

    Unchanged files are skipped; changed ones update their policies in place.
    With --prune, policies whose files under the folders given are gone are removed
    (links answer 410; a file that comes back brings its policies back).
    Exit code 0 when every file was read, 1 when some failed (the rest are in).
    """
    from indexer.pipeline import ingest as run_ingest
    from policy_search.storage.writer import wait_message_to

    progress = None
    if not as_json and sys.stderr.isatty():
        def progress(steps, total):
            with click.progressbar(steps, length=total, label="Ingesting", file=sys.stderr,
                                   item_show_func=lambda s: s.display[-40:] if s else "") as bar:
                yield from bar
    if prune and not any(os.path.isdir(p) for p in paths):
        click.echo("Note: --prune looks only inside the folders given, and no folder was given: "
                   "nothing is pruned.", err=True)
    report = run_ingest(list(paths), obj["data_dir"], dry_run=dry_run, progress=progress,
                        wait=wait, on_wait=wait_message_to(sys.stderr), replace_ids=replace_ids,
                        jobs=jobs, prune=prune)
    if as_json:
        _emit_json(report.to_dict())
    else:
        for failure in report.failed:
            click.echo(f"FAILED  {failure['path']}: {failure['error']}", err=True)
        for warning in report.warnings:
            click.echo(f"warning {warning['path']}: {warning['warning']}", err=True)
        for skipped in report.skipped:
            click.echo(f"skipped {skipped['path']}: {skipped['reason']}", err=True)
        if report.recovered:
            click.echo(f"Indexed {report.recovered} policies again from the catalog "
                       "(left pending by an interrupted run, or an index of an older format).")
        click.echo(report.summary())
        for line in report.named_lines() + report.pruned_lines():
            click.echo(line)
    sys.exit(report.exit_code)


def _level_label(level: str | None) -> str:
    return LEVEL_NAMES_ZH.get(level or "", "")


def _marked(snippet: str, highlights: list[list[int]], color: bool) -> str:
    out, last = [], 0
    for start, end in highlights:
        out.append(snippet[last:start])
        word = snippet[start:end]
        out.append(click.style(word, bold=True, fg="red") if color else f"【{word}】")
        last = end
    out.append(snippet[last:])
    return "".join(out)


@main.command()
@click.argument("query", default="")
@click.option("-n", "--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--page", type=click.IntRange(1, 1000), default=1, show_default=True)
@filter_options()
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.pass_obj
def search(obj, query, limit, page, sort, as_json, **filters):
    """Search policies by keywords or a whole question.

    Words are matched in any order (more matches rank higher); "quoted words"
    must appear as a phrase; -word excludes; a 文号 finds its policy.
    """
    with open_service(obj["data_dir"]) as service:
        result = service.search(query, limit=limit, page=page, sort=sort, **filters)
    if as_json:
        _emit_json(result.to_dict())
        return
    color = sys.stdout.isatty()
    if result.doc_number_match is False:
        click.echo(f"No policy has the 文号 {query.strip()}. What its words find:")
        _echo_hits(result.related, 1, color)
        return
    if not result.hits:
        click.echo("No policies found. Try fewer words or drop a filter.")
        return
    _echo_hits(result.hits, (result.page - 1) * result.limit + 1, color)
    click.echo(f"-- {result.total} policies, page {result.page} of {result.pages}")
    if result.related:
        click.echo("-- related:")
        _echo_hits(result.related, 1, color)
    if result.partial:
        click.echo("-- the query ran out of time: this answer is partial; fewer words or phrases help")
    for name, counts in result.facets.items():
        if counts:
            shown = ", ".join(f"{_level_label(k) if name == 'level' else k} {n}"
                              for k, n in list(counts.items())[:8])
            click.echo(f"   {name}: {shown}")


def _echo_hits(hits, first: int, color: bool) -> None:
    for number, hit in enumerate(hits, first):
        meta = "  ".join(x for x in (hit.doc_number, hit.issuer, hit.written_date,
                                      _level_label(hit.level)) if x)
        click.echo(f"{number}. {click.style(hit.title, bold=True) if color else hit.title}  [{hit.id}]")
        if meta:
            click.echo(f"   {meta}")
        click.echo(f"   {_marked(hit.snippet, hit.highlights, color)}")


def _hit_line(hit) -> str:
    meta = "  ".join(x for x in (hit.doc_number, hit.issuer, hit.written_date) if x)
    status = {"expired": "  [已失效]", "in_force": "", "unknown": ""}[hit.status]
    return f"  {hit.title}  [{hit.id}]{status}\n    {meta}" if meta else f"  {hit.title}  [{hit.id}]{status}"


@main.command()
@click.option("--region", required=True, help="Where the enterprise is (name or code, e.g. 峄城区).")
@click.option("--industry", help="Its industry, e.g. 制造业.")
@click.option("--topic", help="What it needs, e.g. 稳岗就业.")
@click.option("--in-force", is_flag=True, help="Leave out expired policies.")
@type_or_all_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def match(obj, region, industry, topic, in_force, doc_type, as_json):
    """One-click lookup: the policies that apply to an enterprise, by level, in force first."""
    with open_service(obj["data_dir"]) as service:
        result = service.match(region, industry=industry, topic=topic, in_force=in_force,
                               type=None if doc_type == "all" else doc_type)
    if as_json:
        _emit_json(result.to_dict())
        return
    click.echo(f"{'/'.join(result.region['path'])}: {result.total} policies apply")
    for level, hits in result.groups.items():
        click.echo(f"\n{_level_label(level)} ({len(hits)})")
        for hit in hits:
            click.echo(_hit_line(hit))


@main.command()
@click.argument("policy_id")
@click.option("--json", "as_json", is_flag=True, help="Print the policy as JSON.")
@click.pass_obj
def show(obj, policy_id, as_json):
    """Show one policy with its metadata and full text."""
    with open_service(obj["data_dir"]) as service:
        view = service.get(policy_id, links=True)
    if as_json:
        _emit_json(view.to_dict())
        return
    policy = view.policy
    if view.removed:
        note = f" (replaced by {view.replaced_by})" if view.replaced_by else ""
        click.echo(f"[This policy has been removed{note}]")
    rows = [("ID", policy.id), ("标题", policy.title), ("文号", policy.doc_number),
            ("发文机关", policy.issuer), ("成文日期", policy.written_date),
            ("发布日期", policy.publish_date), ("层级", _level_label(policy.level)),
            ("地区", "/".join(policy.region.path) or policy.region.name),
            ("主题", "、".join(policy.topics)), ("行业", "、".join(policy.industries)),
            ("有效期至", policy.valid_until), ("类型", DOC_TYPE_NAMES_ZH.get(policy.type, policy.type)),
            ("解读的政策", "；".join(f"{x['title']} [{x['id']}]" for x in view.interprets)),
            ("政策解读", "；".join(f"{x['title']} [{x['id']}]" for x in view.interpretations)),
            ("其他来源", "；".join(f"{x['title']} [{x['id']}]" for x in view.duplicates)),
            ("转载自", f"{view.duplicate_of['title']} [{view.duplicate_of['id']}]" if view.duplicate_of else None),
            ("来源", policy.source.path)]
    for label, value in rows:
        if value:
            click.echo(f"{label}: {value}")
    click.echo("")
    click.echo(policy.text)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def duplicates(obj, as_json):
    """List the groups of reposts: one notice under several ids, the canonical policy first."""
    with open_service(obj["data_dir"]) as service:
        groups = service.duplicate_groups()
    if as_json:
        _emit_json({"groups": groups, "total": len(groups)})
        return
    for group in groups:
        for n, member in enumerate(group["members"]):
            mark = "*" if n == 0 else f"  {member['similarity']:.3f}"
            click.echo(f"{mark:8} {member['id']}  {member['title']}")
        click.echo("")
    click.echo(f"-- {len(groups)} groups, {sum(len(g['members']) for g in groups)} policies")


@main.command(name="list")
@click.option("--removed", is_flag=True, help="Include removed policies.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def list_policies(obj, removed, as_json):
    """List every policy with its metadata."""
    with open_service(obj["data_dir"]) as service:
        policies = service.list_policies(include_removed=removed)
    if as_json:
        _emit_json({"policies": [p.to_dict(with_text=False) for p in policies]})
        return
    for policy in policies:
        click.echo(f"{policy.id}  {policy.written_date or '':10}  {_level_label(policy.level):4}  "
                   f"{policy.doc_number or '':18}  {policy.title}")
    click.echo(f"-- {len(policies)} policies")


@main.command()
@click.argument("policy_id")
@click.option("--replaced-by", help="Id of the policy that replaces it.")
@click.pass_obj
def remove(obj, policy_id, replaced_by):
    """Take a policy out of search (its link then says it was removed)."""
    from policy_search.storage.writer import PolicyWriter, wait_message_to

    with open_service(obj["data_dir"]) as service:
        view = service.get(policy_id)
        if replaced_by:
            service.get(replaced_by)
    with PolicyWriter(obj["data_dir"], on_wait=wait_message_to(sys.stderr)) as writer:
        writer.start_batch("remove")
        with writer.transaction():
            writer.remove(view.policy.id, replaced_by=replaced_by)
        writer.commit()
        writer.finish_batch({"removed": 1})
    click.echo(f"Removed {view.policy.id}: {view.policy.title}")


@main.command()
@click.argument("policy_ids", nargs=-1)
@click.option("--all", "retag_all", is_flag=True, help="Retag every policy in search.")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON: each policy's tags, from and to.")
@click.pass_obj
def retag(obj, policy_ids, retag_all, as_json):
    """Recompute inferred tags after the rule files changed (given tags are kept).

    Works from the catalog: no file is parsed again. Lists the policies whose tags changed
    (by name when they are few; all of them with --json). A removed policy is left as it is.
    """
    from indexer.classify import retag as retag_policy, tag_changes
    from indexer.report import NAMED_AT_MOST
    from policy_search.storage.writer import PolicyWriter, wait_message_to

    if not policy_ids and not retag_all:
        raise click.UsageError("name policy ids, or use --all")
    changes, skipped = [], []
    with PolicyWriter(obj["data_dir"], on_wait=wait_message_to(sys.stderr)) as writer:
        if retag_all:
            targets = list(writer.catalog.iter_policies())
        else:
            targets = []
            for policy_id in dict.fromkeys(policy_ids):
                policy = _existing(writer.catalog, policy_id)
                if writer.catalog.policy_status(policy.id)["status"] != "active":
                    skipped.append({"id": policy.id, "reason": "removed: its tags are computed again if it comes back"})
                else:
                    targets.append(policy)
            targets = list({policy.id: policy for policy in targets}.values())  # an id and its alias: once
        writer.start_batch("retag")
        with writer.transaction():
            for policy in targets:
                retagged = retag_policy(policy)
                if writer.put(retagged) != "unchanged":
                    changes.append({"id": policy.id, "title": policy.title, "tags": tag_changes(policy, retagged)})
        writer.commit()
        writer.finish_batch({"updated": len(changes), "unchanged": len(targets) - len(changes)})
    if as_json:
        _emit_json({"retagged": len(targets), "changed": len(changes), "unchanged": len(targets) - len(changes),
                    "skipped": skipped, "changes": changes})
        return
    for item in skipped:
        click.echo(f"skipped {item['id']}: {item['reason']}", err=True)
    click.echo(f"Retagged {len(targets)} policies: {len(changes)} changed.")
    if len(changes) <= NAMED_AT_MOST:
        for change in changes:
            click.echo(f"~ {change['id']}  {change['title']}")
            for name, values in change["tags"].items():
                click.echo(f"    {name}: {_tag_value(values['from'])} → {_tag_value(values['to'])}")
            if not change["tags"]:
                click.echo("    (only where its tags came from)")


def _tag_value(value) -> str:
    """A tag's value for people: a list joined, a region by its path, nothing as —."""
    if isinstance(value, dict):  # a region
        value = "/".join(value.get("path") or []) or value.get("name")
    if isinstance(value, list):
        value = "、".join(value)
    return str(value) if value else "—"


def _existing(catalog, policy_id):
    """The policy an id (or an old id of it) names; an unknown id is an error with a hint."""
    policy = catalog.get_policy(catalog.resolve_alias(policy_id) or policy_id)
    if policy is None:
        raise PolicyNotFoundError(f"no policy with id {policy_id!r}",
                                  hint="run 'policy-search list' to see the ids")
    return policy


@main.command(name="eval")
@click.argument("queries_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True, help="Cut-off rank.")
@click.option("--failures", type=click.IntRange(0, 1000), default=0, help="List the N worst questions.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.pass_obj
def evaluate(obj, queries_file, k, failures, as_json):
    """Measure ranking on qid<TAB>question<TAB>docid lines: R@1, R@5, R@10, MRR, nDCG."""
    from policy_search.evaluation import judge, read_queries, summarise, worst

    with open_service(obj["data_dir"]) as service:
        judged = judge(service, read_queries(queries_file), k=k)
    metrics = summarise(judged, k=k)
    if as_json:
        _emit_json(metrics)
    else:
        click.echo("  ".join(f"{name} {value}" for name, value in metrics.items()))
    for item in worst(judged, failures):
        where = f"rank {item.rank}" if item.rank else f"not in top {k}"
        click.echo(f"[{where}] {item.question}\n    answer {item.answer}; first: {item.first_title}",
                   err=as_json)


@main.command()
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait for a running ingest to finish, or exit at once.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_obj
def reindex(obj, wait, as_json):
    """Index every policy of the catalog anew, into the backend the settings name.

    Moving to a cluster: the same data directory (the catalog), with --backend opensearch.
    Searchers see the old index until the new one is whole, then the new one.
    """
    from policy_search.storage.writer import PolicyWriter, wait_message_to

    with PolicyWriter(obj["data_dir"], wait=wait, on_wait=wait_message_to(sys.stderr), recover=False) as writer:
        indexed = writer.rebuild()
        set_aside = writer.set_aside
        generation = writer.generation()
    if as_json:
        _emit_json({"indexed": indexed, "set_aside": set_aside, "generation": generation})
        return
    for item in set_aside:
        click.echo(f"set aside {item['id']}: {item['error']}", err=True)
    click.echo(f"Indexed {indexed} policies anew from the catalog (generation {generation}).")


def _checked_day(ctx, param, value):
    """--since as it is read: a day, or a usage error (exit 2) with a hint."""
    import datetime

    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:  # fromisoformat would also take 20260301 and 2026-W09
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    _fail(f"--since: {value[:40]!r} is not a day", "write it as YYYY-MM-DD, e.g. --since 2026-03-01", status=2)


@main.command()
@click.option("--since", default=None, metavar="YYYY-MM-DD", callback=_checked_day,
              help="Only batches started on or after this day (local time).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def changes(obj, since, as_json):
    """What each batch added, updated and removed (ingest, remove, retag, import), the latest first."""
    from policy_search.changes import batch_changes, day_start

    with open_service(obj["data_dir"]) as service:
        batches = batch_changes(service.catalog, day_start(since) if since else None)
    if as_json:
        _emit_json({"since": since.isoformat() if since else None,
                    "batches": [batch.to_dict() for batch in batches]})
        return
    for batch in batches:
        for line in batch.lines():
            click.echo(line)
    when = f" since {since.isoformat()}" if since else ""
    click.echo(f"-- {len(batches)} {'batch' if len(batches) == 1 else 'batches'}{when}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def stats(obj, as_json):
    """Numbers about the index: policies, formats, levels."""
    with open_service(obj["data_dir"]) as service:
        data = service.stats()
    if as_json:
        _emit_json(data)
        return
    click.echo(f"Policies: {data['policies']} (removed: {data['removed']}, indexed: {data['indexed']})")
    click.echo("Formats:  " + ", ".join(f"{k} {v}" for k, v in sorted(data["formats"].items())))
    click.echo("Levels:   " + ", ".join(f"{_level_label(k) or k} {v}" for k, v in data["levels"].items()))
    click.echo("Topics:   " + ", ".join(f"{k} {v}" for k, v in data["topics"].items()))
    click.echo("Validity: " + ", ".join(f"{k} {v}" for k, v in data["validity"].items()))


#: ``booklet --applies-to`` values that mean every place, whatever the home district.
EVERYWHERE = ("all", "全国")


@main.command()
@filter_options(without=("type", "applies_to"))
@click.option("--applies-to", default=lambda: setting_default("home_region") or None,
              show_default="$POLICY_SEARCH_HOME_REGION",
              help="Only policies that apply to an enterprise in this region (name or code, e.g. 峄城区); "
                   "'all' for every place.")
@type_or_all_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The booklet file to write: .html (prints from any browser) or .pdf (needs chromium).")
@click.option("--publish", is_flag=True,
              help="Write the download centre's whole set instead: every policy, one booklet per level "
                   "and per topic, as HTML and PDF, into DATA_DIR/published/ (the web serves it at /downloads).")
@click.option("--pdf/--no-pdf", default=True, show_default=True,
              help="With --publish: print PDFs too (needs chromium; without it the set is HTML only).")
@click.option("--title", default=None, help="Title on the cover.")
@click.option("--base-url", envvar="POLICY_SEARCH_BASE_URL", default=None, callback=_checked_base_url,
              help="Public address printed in the links [env POLICY_SEARCH_BASE_URL].")
@click.pass_context
def booklet(ctx, output, publish, pdf, title, base_url, doc_type, applies_to, **filters):
    """Write the printed compendium: cover, contents by level and topic, a QR code per policy.

    With --publish, the whole set for the download centre (/downloads) instead of one file.
    """
    from policy_search.booklet import write_booklet
    from policy_search.links import require_base_url
    from policy_search.settings import home_region

    if bool(output) == publish:
        raise click.UsageError("give either -o FILE.html|.pdf or --publish")
    if publish and (title or any(filters.get(name) for name in ("level", "topic", "region", "industry"))):
        raise click.UsageError("--publish makes one booklet per level and per topic, each with its own "
                               "title; it takes --applies-to, --in-force and --type only")
    if ctx.get_parameter_source("applies_to") == click.core.ParameterSource.DEFAULT:
        home = home_region()  # the setting, checked here: a typo is an error with a hint
        applies_to = home.code if home else None
    elif (applies_to or "").strip() in EVERYWHERE:
        applies_to = None
    base = require_base_url(base_url)
    doc_type = None if doc_type == "all" else doc_type
    with open_service(ctx.obj["data_dir"]) as service:
        if publish:
            from policy_search.publications import publication_dir, publish as publish_set

            made = publish_set(service, ctx.obj["data_dir"], base, applies_to=applies_to,
                               in_force=filters.get("in_force", False), type=doc_type, pdf=pdf)
            formats = " and PDF" if any("pdf" in b.files for b in made.booklets) else ""
            click.echo(f"Published {len(made.booklets)} booklets as HTML{formats} into "
                       f"{publication_dir(ctx.obj['data_dir']) / made.folder}:")
            for item in made.booklets:
                click.echo(f"  {item.key:16} {item.count:5}  {item.title}")
            if made.pdf_note and pdf:
                click.echo(f"Note: no PDFs: {made.pdf_note}", err=True)
            return
        count = write_booklet(service, output, base, title=title, type=doc_type,
                              applies_to=applies_to, **filters)
    click.echo(f"Wrote {output}: {count} {'policy' if count == 1 else 'policies'}.")


@main.command()
@click.argument("policy_id", required=False)
@click.option("--search", "words", help="Make a code for this search instead of one policy.")
@filter_options()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The image to write: FILE.png or FILE.svg.")
@click.option("--size", default=None, type=int, help="PNG pixels per module (2 to 40; default 8).")
@click.option("--base-url", envvar="POLICY_SEARCH_BASE_URL", default=None, callback=_checked_base_url,
              help="Public address encoded in the code [env POLICY_SEARCH_BASE_URL].")
@click.pass_obj
def qr(obj, policy_id, words, output, size, base_url, **filters):
    """Write the QR code of a policy's permanent link, or of a saved search (for posters)."""
    from pathlib import Path

    from policy_search import links
    from policy_search.qr import DEFAULT_BOX, qr_image

    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise click.UsageError("the output must be a .png or .svg file")
    from policy_search.text import divisions
    for spec in FILTER_FIELDS:  # a region saved by its code: the same search whatever name was typed
        if spec.kind == REGION and filters[spec.name]:
            filters[spec.name] = divisions.resolve(filters[spec.name]).code
    search = links.canonical_search({"q": words, **filters})
    if bool(policy_id) == bool(search):
        raise click.UsageError("give either a policy ID or --search/filters, not both or neither")
    base = links.require_base_url(base_url)
    with open_service(obj["data_dir"]) as service:
        if policy_id:
            view = service.get(policy_id)
            link, what = links.policy_link(base, view.policy.id), view.policy.title
            if view.removed:
                click.echo(f"Note: {view.policy.id} is removed; its code opens the removal notice.", err=True)
        else:
            options = links.saved_search_options(search)
            total = service.search(search.get("q", ""), limit=1, details=False, **options).total
            search_id, _ = links.keep_search(service.catalog, search)
            link, what = links.search_link(base, search_id), f"saved search ({total} policies now)"
    Path(output).write_bytes(qr_image(link, fmt, size or DEFAULT_BOX))
    click.echo(f"Wrote {output}: {link}  {what}")


@main.group()
def links():
    """Permanent links and the ids behind them."""


@links.command(name="check")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def links_check(obj, as_json):
    """Check that every id ever issued (policies, removals, aliases, saved searches) still resolves."""
    from policy_search.linkcheck import check_links

    with open_service(obj["data_dir"]) as service:
        report = check_links(service)
    if as_json:
        _emit_json(report.to_dict())
    else:
        counts = ", ".join(f"{n} {kind}" for kind, n in report.checked.items())
        click.echo(f"Checked {counts}: {len(report.broken)} broken.")
        for item in report.broken:
            click.echo(f"  {item['kind']} {item['id']}: {item['reason']}")
    if report.broken:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads answering requests (in each process).")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Processes answering on the one port, each with its own threads and caches "
                   "(N cores, N times the memory).")
@click.option("--warm/--no-warm", default=True, show_default=True,
              help="Read ahead, before answering, what searches read: the frequent terms' postings "
                   "and the folded texts (a few seconds and tens of MB per process).")
@click.option("--base-url", envvar="POLICY_SEARCH_BASE_URL", default=None, callback=_checked_base_url,
              help="Public address for permanent links [env POLICY_SEARCH_BASE_URL].")
@click.option("--allowed-hosts", envvar="POLICY_SEARCH_ALLOWED_HOSTS", default=None,
              callback=_checked_allowed_hosts,
              help="Host names (or host:port) to answer, comma-separated [env POLICY_SEARCH_ALLOWED_HOSTS; "
                   "default without --base-url: --host and localhost; with it: any].")
@click.pass_obj
def serve(obj, host, port, workers, processes, warm, base_url, allowed_hosts):
    """Serve the web pages and the JSON API (waitress, a production WSGI server)."""
    from web import create_app
    from web.context import service
    from web.serving import serve as serve_app

    from policy_search.links import LOCAL_HOSTS
    from policy_search.search.service import load_query_tables

    if not allowed_hosts and not base_url:  # links follow the Host header: only local names and --host
        allowed_hosts = ",".join(dict.fromkeys([*LOCAL_HOSTS, host]))
        click.echo(f"No --base-url: links use the request's host; answering only {allowed_hosts} "
                   "(see --allowed-hosts).", err=True)
    app = create_app({"DATA_DIR": str(obj["data_dir"]), "BASE_URL": base_url,
                      "ALLOWED_HOSTS": allowed_hosts})  # checks POLICY_SEARCH_HOME_REGION too
    if app.config["HOME_REGION"]:
        from policy_search.text import divisions

        home = divisions.get(app.config["HOME_REGION"])
        click.echo(f"Home district: {''.join(divisions.path_names(home))} ({home.code}): /match starts "
                   "there, the home page lists its policies first.", err=True)
    with open_service(obj["data_dir"]) as checked:  # no index fails here, with a hint
        count = checked.stats()["indexed"]
    from policy_search.vocabulary import industry_names, topic_names
    topic_names(), industry_names()  # and rule files that cannot be read

    def ready():
        """Open the index in this process before it answers (after the fork, if any), and read
        ahead with ``--warm``."""
        with app.app_context():
            if warm:
                read = service().warm()
                click.echo(f"Read ahead in {read.get('seconds', 0)} s: {read.get('terms', 0)} terms' "
                           f"postings ({read.get('postings_bytes', 0) / 2**20:.1f} MB), "
                           f"{read.get('folded_documents', 0)} folded texts.", err=True)
            else:
                service()

    load_query_tables()  # before the fork: the processes share one copy
    where = f"{workers} threads" + (f" in each of {processes} processes" if processes > 1 else "")
    click.echo(f"Serving {count} policies from {obj['data_dir']} on http://{host}:{port}/ "
               f"({where}). Ctrl+C stops.")
    serve_app(app, host, port, workers, processes, ready=ready)


@main.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--no-text", is_flag=True,
              help="Leave out the full texts (a smaller file; re-ingest the source files to restore them).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
def export_catalog(obj, file, no_text, as_json):
    """Back up the catalog to FILE.json or FILE.json.gz: every policy, removal, alias and saved search.

    The file is written whole or not at all. Restore it with 'policy-search import'.
    """
    from policy_search import backup

    counts = backup.export_catalog(obj["data_dir"], file, with_text=not no_text)
    if as_json:
        _emit_json({"file": file, "with_text": not no_text, **counts})
    else:
        click.echo(backup.export_summary(counts, file, with_text=not no_text))


@main.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True,
              help="The backup wins: policies already here get the backup's record and status back.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait for a running ingest to finish, or exit at once.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_obj
def import_catalog(obj, file, replace, wait, as_json):
    """Restore a backup made by 'export': policies, removals, aliases and saved searches.

    Policies already in the data directory keep their record (a re-ingested file is
    at least as new as the backup) unless --replace. Importing twice changes nothing.
    Every record is checked as ingest checks its files; one that fails is left out and
    listed (exit code 1, the rest are in). Paths in the backup are not trusted: ingest
    the source files to offer their downloads again.
    """
    from policy_search.backup import import_backup, read_backup
    from policy_search.storage.writer import wait_message_to

    backup = read_backup(file)
    report = import_backup(backup, obj["data_dir"], replace=replace, wait=wait,
                           on_wait=wait_message_to(sys.stderr))
    if as_json:
        _emit_json(report.to_dict())
        sys.exit(report.exit_code)
    for failure in report.failed:
        click.echo(f"FAILED  {failure['id']}: {failure['error']}", err=True)
    if report.recovered:
        click.echo(f"Indexed {report.recovered} policies again from the catalog "
                       "(left pending by an interrupted run, or an index of an older format).")
    click.echo(f"Imported {file} (exported {backup.exported_at or 'at an unknown time'}): {report.summary()}")
    if report.without_text:
        its = "its" if report.without_text == 1 else "their"
        click.echo(f"Note: {report.without_text} of them came without {its} text (an export made with "
                   f"--no-text); ingest {its} source files to restore it.", err=True)
    sys.exit(report.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
