"""Small builders for Kong 3.0 declarative configs used by the integration tests."""
from __future__ import annotations


def simple_config(upstream_url: str, route_paths=("/",), service_extra: str = "",
                  route_extra: str = "", service_name: str = "echo",
                  route_name: str = "echo-route") -> str:
    """One service (url shorthand) with one route.

    service_extra: YAML lines indented by 2 spaces (service fields), each ending in a newline.
    route_extra: YAML lines indented by 4 spaces (route fields), each ending in a newline."""
    paths = "".join(f"\n    - {p}" for p in route_paths)
    return (f'_format_version: "3.0"\n'
            f"services:\n"
            f"- name: {service_name}\n"
            f"  url: {upstream_url}\n"
            f"{service_extra}"
            f"  routes:\n"
            f"  - name: {route_name}\n"
            f"    paths:{paths}\n"
            f"{route_extra}")
