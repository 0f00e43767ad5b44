"""policy-search: full-text search over Chinese government policy documents."""
from policy_search.errors import PolicySearchError
from policy_search.models import Policy, Region
from policy_search.search.service import SearchPage, SearchService, open_service

__version__ = "0.1.0"
__all__ = ["open_service", "SearchService", "SearchPage", "Policy", "Region", "PolicySearchError"]
