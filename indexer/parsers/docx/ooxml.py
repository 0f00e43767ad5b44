"""WordprocessingML names: namespaces and the element tags the reader looks at."""
from __future__ import annotations

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def w(tag: str) -> str:
    """The qualified name of a WordprocessingML element or attribute."""
    return f"{{{W_NS}}}{tag}"


P, TBL, TR, TC = w("p"), w("tbl"), w("tr"), w("tc")
T, TAB, BR, CR = w("t"), w("tab"), w("br"), w("cr")
NB_HYPHEN, SOFT_HYPHEN = w("noBreakHyphen"), w("softHyphen")
TXBX_CONTENT, SDT_CONTENT = w("txbxContent"), w("sdtContent")
VMERGE, TCPR, PPR = w("vMerge"), w("tcPr"), w("pPr")
ALT_CONTENT, MC_CHOICE = f"{{{MC_NS}}}AlternateContent", f"{{{MC_NS}}}Choice"
