"""The PRISMA 2020 counts in the PRISMA2020 R package's CSV template (`PRISMA.csv`), so that the
package can draw the same diagram from them. Kept apart from `review.report.prisma` (the counts
themselves), which imports it back."""
from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # annotations only: `review.report.prisma` imports this module back
    from .prisma import PrismaCounts

__all__ = ["TEMPLATE_CSV", "R_MISSING", "template_list", "prisma2020_template"]


#: `inst/extdata/PRISMA.csv` of the PRISMA2020 R package (prisma-flowdiagram/PRISMA2020, commit
#: 696d35e), verbatim: its `data` keys, boxes and texts; `n` is filled from the counts.
TEMPLATE_CSV = """\
data,node,box,description,boxtext,tooltips,url,n
NA,node4,prevstud,Grey title box; Previous studies,Previous studies,Grey title box; Previous studies,prevstud.html,0
previous_studies,node5,box1,Studies included in previous version of review,Studies included in previous version of review,Studies included in previous version of review,previous_studies.html,0
previous_reports,NA,box1,Reports of studies included in previous version of review,Reports of studies included in previous version of review,NA,previous_reports.html,0
NA,node6,newstud,Yellow title box; Identification of new studies via databases and registers,Identification of new studies via databases and registers,Yellow title box; Identification of new studies via databases and registers,newstud.html,0
database_results,node7,box2,Records identified from: Databases,Databases,Records identified from: Databases and Registers,database_results.html,0
database_specific_results,NA,box2,Records identified from: specific databases,Specific Databases,NA,database_results.html,"Database 1, xxx; Database 2, xxx; Database 3, xxx"
register_results,NA,box2,Records identified from: Registers,Registers,NA,NA,0
register_specific_results,NA,box2,Records identified from: specific registers,Specific Registers,NA,database_results.html,"Register 1, xxx; Register 2, xxx; Register 3, xxx"
NA,node16,othstud,Grey title box; Identification of new studies via other methods,Identification of new studies via other methods,Grey title box; Identification of new studies via other methods,othstud.html,0
website_results,node17,box11,Records identified from: Websites,Websites,"Records identified from: Websites, Organisations and Citation Searching",website_results.html,0
organisation_results,,box11,Records identified from: Organisations,Organisations,NA,NA,0
citations_results,NA,box11,Records identified from: Citation searching,Citation searching,NA,NA,0
duplicates,node8,box3,Duplicate records,Duplicate records,Duplicate records,duplicates.html,0
excluded_automatic,NA,box3,Records marked as ineligible by automation tools,Records marked as ineligible by automation tools,NA,NA,0
excluded_other,NA,box3,Records removed for other reasons,Records removed for other reasons,NA,NA,0
records_screened,node9,box4,Records screened (databases and registers),Records screened,Records screened (databases and registers),records_screened.html,0
records_excluded,node10,box5,Records excluded (databases and registers),Records excluded,Records excluded (databases and registers),records_excluded.html,0
dbr_sought_reports,node11,box6,Reports sought for retrieval (databases and registers),Reports sought for retrieval,Reports sought for retrieval (databases and registers),dbr_sought_reports.html,0
dbr_notretrieved_reports,node12,box7,Reports not retrieved (databases and registers),Reports not retrieved,Reports not retrieved (databases and registers),dbr_notretrieved_reports.html,0
other_sought_reports,node18,box12,Reports sought for retrieval (other),Reports sought for retrieval,Reports sought for retrieval (other),other_sought_reports.html,0
other_notretrieved_reports,node19,box13,Reports not retrieved (other),Reports not retrieved,Reports not retrieved (other),other_notretrieved_reports.html,0
dbr_assessed,node13,box8,Reports assessed for eligibility (databases and registers),Reports assessed for eligibility,Reports assessed for eligibility (databases and registers),dbr_assessed.html,0
dbr_excluded,node14,box9,"Reports excluded (databases and registers): [separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]",Reports excluded,Reports excluded (databases and registers),dbrexcludedrecords.html,"Reason1, xxx; Reason2, xxx; Reason3, xxx"
other_assessed,node20,box14,Reports assessed for eligibility (other),Reports assessed for eligibility,Reports assessed for eligibility (other),other_assessed.html,0
other_excluded,node21,box15,"Reports excluded (other): [separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]",Reports excluded,Reports excluded (other),other_excluded.html,"Reason1, xxx; Reason2, xxx; Reason3, xxx"
new_studies,node15,box10,New studies included in review,New studies included in review,New studies included in review,new_studies.html,0
new_reports,NA,box10,Reports of new included studies,Reports of new included studies,NA,NA,0
total_studies,node22,box16,Total studies included in review,Total studies included in review,Total studies included in review,total_studies.html,0
total_reports,NA,box16,Reports of total included studies,Reports of total included studies,NA,NA,0
identification,node1,identification,Blue identification box,Identification,Blue identification box,identification.html,0
screening,node2,screening,Blue screening box,Screening,Blue screening box,screening.html,0
included,node3,included,Blue included box,Included,Blue included box,included.html,0
"""
#: What R's read.csv reads as a missing value: the R package leaves that line or box out.
R_MISSING = "NA"


def template_list(counts: dict[str, int]) -> str:
    """'Name, n; Name, n' as the R package parses breakdowns: it splits on ';' and takes the name
    up to the first ',', so a comma or semicolon inside a name becomes ' / '."""
    def clean(name: str) -> str:
        return " ".join(str(name).replace(";", " / ").replace(",", " / ").split())
    return "; ".join(f"{clean(name)}, {n}" for name, n in counts.items())


def prisma2020_template(counts: PrismaCounts) -> pd.DataFrame:
    """The counts in the PRISMA2020 R package's CSV template (`PRISMA.csv`): its columns and rows,
    `n` filled in as text ("NA" where a box or line does not apply). Read it in R with
    `PRISMA_data(read.csv(file))`. Records found by "other" methods are added to the websites
    line, which is then labelled "Websites and other sources"."""
    c = counts
    other = c.other_methods
    websites = other.get("Websites", 0) + other.get("Other sources", 0)
    def maybe(present: bool, value) -> str:
        return str(value) if present else R_MISSING
    values: dict[str, str] = {
        "previous_studies": maybe(c.previous_studies is not None, c.previous_studies),
        "previous_reports": maybe(c.previous_reports is not None, c.previous_reports),
        "database_results": maybe(bool(c.databases), c.database_results),
        "database_specific_results": template_list(c.databases) or R_MISSING,
        "register_results": maybe(bool(c.registers), c.register_results),
        "register_specific_results": template_list(c.registers) or R_MISSING,
        "website_results": maybe("Websites" in other or "Other sources" in other, websites),
        "organisation_results": maybe("Organisations" in other, other.get("Organisations")),
        "citations_results": maybe("Citation searching" in other, other.get("Citation searching")),
        "dbr_excluded": template_list(c.dbr_excluded) or "0",
        "other_excluded": template_list(c.other_excluded) or "0",
        "total_studies": str(c.total_studies), "total_reports": str(c.total_reports),
    }
    for name in ("duplicates", "excluded_automatic", "excluded_other", "records_screened",
                 "records_excluded", "dbr_sought_reports", "dbr_notretrieved_reports",
                 "other_sought_reports", "other_notretrieved_reports", "dbr_assessed",
                 "other_assessed", "new_studies", "new_reports"):
        values[name] = str(getattr(c, name))
    rows = list(csv.reader(io.StringIO(TEMPLATE_CSV)))
    frame = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
    frame["n"] = [values.get(key, n) for key, n in zip(frame["data"], frame["n"])]
    if "Other sources" in other:
        label = "Websites and other sources" if "Websites" in other else "Other sources"
        frame.loc[frame["data"] == "website_results", "boxtext"] = label
    return frame
