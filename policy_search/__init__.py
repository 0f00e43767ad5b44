"""policy-search: full-text search over Chinese government policy documents."""
from .errors import PolicySearchError
from .models import Policy, Region
from .search import SearchPage, SearchService, open_service

__version__ = "0.1.0"
__all__ = ["open_service", "SearchService", "SearchPage", "Policy", "Region", "PolicySearchError"]
