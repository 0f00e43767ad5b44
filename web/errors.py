"""Errors as a friendly page, or as JSON under /api/: ``{"error": {"code", "message"}}``."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from markupsafe import escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from policy_search.errors import (CatalogWriteError, IndexMissingError, IndexUnavailableError, PolicyNotFoundError,
                                  PolicySearchError, QueryError, SavedSearchNotFoundError)
from policy_search.errors import ServiceBusyError

from .params import BadParameter
from .ratelimit import TooManyRequests

log = logging.getLogger(__name__)

#: Short Chinese headline of each status for the error page.
HEADLINES = {
    400: "请求有误", 403: "请求没有执行", 404: "没有找到这个页面", 405: "不支持这种请求方式",
    410: "该政策已撤下", 413: "提交的内容太多了", 414: "输入太长了", 429: "操作太频繁了",
    500: "服务暂时出了问题", 503: "检索服务暂不可用",
}
CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 410: "gone",
         413: "too_large", 414: "query_too_long", 429: "too_many_requests", 500: "internal_error",
         503: "unavailable"}


def wants_json() -> bool:
    """The API, and the feeds (read by programs too), answer errors as JSON."""
    return request.path.startswith("/api/") or request.path.endswith("/feed.atom")


def error_response(status: int, message: str, code: str | None = None, param: str | None = None):
    """The error answer in the form the request expects."""
    code = code or CODES.get(status, "error")
    if wants_json():
        body = {"code": code, "message": message}
        if param:
            body["parameter"] = param
        return jsonify(error=body), status
    if request_ctx.url_adapter is None:
        return _bare_error_page(status, message), status
    return render_template("error.html", status=status, headline=HEADLINES.get(status, "出错了"),
                           message=message), status


def _bare_error_page(status: int, message: str) -> str:
    """The error page without the site's templates, whose links need routes Flask could not bind.

    Only reached when Flask could not read the request's address at all
    (:mod:`web.hosts` refuses a bad Host header before it gets here).
    """
    headline = HEADLINES.get(status, "出错了")
    return (f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{headline}</title>'
            f'</head><body><p>{status}</p><h1>{headline}</h1><p>{escape(message)}</p>'
            f'<p><a href="/">回到首页</a></p></body></html>\n')


def register(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def _bad_parameter(err: BadParameter):
        code = {403: "forbidden", 404: "not_found", 414: "query_too_long"}.get(err.status, "bad_parameter")
        return error_response(err.status, err.message, code, err.name)

    @app.errorhandler(TooManyRequests)
    def _too_many(err: TooManyRequests):
        message = str(err) if wants_json() else f"生成二维码太频繁了，请 {err.retry_after} 秒后再试。"
        response = make_response(error_response(429, message))
        response.headers["Retry-After"] = str(err.retry_after)
        return response

    @app.errorhandler(CatalogWriteError)
    def _cannot_write(err: CatalogWriteError):
        log.error("saved search not written: %s", err)
        message = "the saved search cannot be written now" if wants_json() else "暂时无法生成二维码，请稍后再试；如一直如此，请联系网站管理员。"
        response = make_response(error_response(503, message, "catalog_unavailable"))
        response.headers["Retry-After"] = str(err.retry_after)
        return response

    @app.errorhandler(PolicyNotFoundError)
    def _not_found(err):
        return error_response(404, "没有这条政策（编号不存在）。" if not wants_json() else str(err))

    @app.errorhandler(SavedSearchNotFoundError)
    def _no_saved_search(err):
        return error_response(404, "没有这个检索链接。" if not wants_json() else str(err))

    @app.errorhandler(QueryError)
    def _query_error(err):
        param = getattr(err, "parameter", None)  # a query past the caps names the q parameter
        return error_response(400, f"{err} ({err.hint})" if err.hint else str(err),
                              "bad_parameter" if param else "bad_query", param)

    @app.errorhandler(ServiceBusyError)
    def _busy(err: ServiceBusyError):
        log.warning("busy: %s", err)
        message = str(err) if wants_json() else "同时进行的复杂检索较多，请稍后再试，或少用几个词。"
        response = make_response(error_response(503, message, "busy"))
        response.headers["Retry-After"] = str(err.retry_after)
        return response

    @app.errorhandler(IndexUnavailableError)
    def _unavailable(err):
        log.error("index unavailable: %s", err)
        response = make_response(error_response(503, "检索服务暂时不可用，请稍后再试。", "index_unavailable"))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(IndexMissingError)
    def _no_index(err):
        log.error("index missing: %s", err)
        return error_response(503, "检索库还没有建立，请稍后再试。", "index_missing")

    @app.errorhandler(PolicySearchError)
    def _other(err):
        return error_response(400, str(err))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        status = err.code or 500
        message = err.description if wants_json() else HEADLINES.get(status, err.name)
        response, status = error_response(status, message)
        if isinstance(err, MethodNotAllowed) and err.valid_methods:
            response = make_response(response, status)
            response.headers["Allow"] = ", ".join(err.valid_methods)
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(err):
        log.exception("unexpected error on %s", request.path)
        return error_response(500, "请稍后再试。" if not wants_json() else "internal error")
