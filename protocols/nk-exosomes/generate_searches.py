"""Write the worked example's four database exports and their answer key, deterministically.

The NK-exosome example needs search results that read like real exports from PubMed (.nbib),
Embase (RIS), Web of Science (tagged text) and Scopus (CSV): the same works found in several
databases with the small differences deduplication must cope with, plus an answer key saying
which records are one work and what reviewers decided. Apart from a few real works (their
bibliographic facts only), every work, title and abstract is this script's own invention.

Run from the project root: ``python protocols/nk-exosomes/generate_searches.py [OUT_DIR]``
(default ``protocols/nk-exosomes/searches``). Standard library only; seeded, so byte-identical.
"""
from __future__ import annotations

import csv
import hashlib
import io
import random
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

SEED = 2025
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "searches"
DATABASES = ("pubmed", "embase", "wos", "scopus")
FILES = {"pubmed": "pubmed.nbib", "embase": "embase.ris", "wos": "wos.txt", "scopus": "scopus.csv"}
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

# ---------------------------------------------------------------------------------------------
# Journals: key -> (full title, MEDLINE TA, MEDLINE JT, ISO abbreviation, ISSN, country,
#                   article numbers instead of pages?, DOI stem for invented works, WoS category)
JOURNALS = {
    "jimmunol": ("Journal of Immunology", "J Immunol", "Journal of immunology (Baltimore, Md. : 1950)",
                 "J. Immunol.", "0022-1767", "United States", False, "jimmunol", "Immunology"),
    "jev": ("Journal of Extracellular Vesicles", "J Extracell Vesicles", "Journal of extracellular vesicles",
            "J. Extracell. Vesicles", "2001-3078", "United States", True, "jev", "Cell Biology"),
    "fimmu": ("Frontiers in Immunology", "Front Immunol", "Frontiers in immunology", "Front. Immunol.",
              "1664-3224", "Switzerland", True, "fimmu", "Immunology"),
    "cancers": ("Cancers", "Cancers (Basel)", "Cancers", "Cancers", "2072-6694", "Switzerland", True,
                "cancers", "Oncology"),
    "ijms": ("International Journal of Molecular Sciences", "Int J Mol Sci",
             "International journal of molecular sciences", "Int. J. Mol. Sci.", "1422-0067",
             "Switzerland", True, "ijms", "Biochemistry & Molecular Biology"),
    "jnb": ("Journal of Nanobiotechnology", "J Nanobiotechnology", "Journal of nanobiotechnology",
            "J. Nanobiotechnol.", "1477-3155", "England", True, "jnb", "Biotechnology & Applied Microbiology"),
    "thera": ("Theranostics", "Theranostics", "Theranostics", "Theranostics", "1838-7640", "Australia",
              False, "thno", "Medicine, Research & Experimental"),
    "biomat": ("Biomaterials", "Biomaterials", "Biomaterials", "Biomaterials", "0142-9612", "Netherlands",
               True, "biomat", "Engineering, Biomedical"),
    "jcr": ("Journal of Controlled Release", "J Control Release",
            "Journal of controlled release : official journal of the Controlled Release Society",
            "J. Control. Release", "0168-3659", "Netherlands", False, "jconrel", "Pharmacology & Pharmacy"),
    "acsnano": ("ACS Nano", "ACS Nano", "ACS nano", "ACS Nano", "1936-0851", "United States", False,
                "acsnano", "Nanoscience & Nanotechnology"),
    "canlet": ("Cancer Letters", "Cancer Lett", "Cancer letters", "Cancer Lett.", "0304-3835", "Ireland",
               False, "canlet", "Oncology"),
    "oncoimm": ("OncoImmunology", "Oncoimmunology", "Oncoimmunology", "OncoImmunology", "2162-402X",
                "United States", True, "onci", "Immunology"),
    "molcan": ("Molecular Cancer", "Mol Cancer", "Molecular cancer", "Mol. Cancer", "1476-4598", "England",
               True, "molcan", "Oncology"),
    "jeccr": ("Journal of Experimental & Clinical Cancer Research", "J Exp Clin Cancer Res",
              "Journal of experimental & clinical cancer research : CR", "J. Exp. Clin. Cancer Res.",
              "1756-9966", "England", True, "jeccr", "Oncology"),
    "cii": ("Cancer Immunology, Immunotherapy", "Cancer Immunol Immunother",
            "Cancer immunology, immunotherapy : CII", "Cancer Immunol. Immunother.", "0340-7004", "Germany",
            False, "cii", "Oncology"),
    "advsci": ("Advanced Science", "Adv Sci (Weinh)",
               "Advanced science (Weinheim, Baden-Wurttemberg, Germany)", "Adv. Sci.", "2198-3844",
               "Germany", True, "advs", "Materials Science, Multidisciplinary"),
    "small": ("Small", "Small", "Small (Weinheim an der Bergstrasse, Germany)", "Small", "1613-6810",
              "Germany", True, "smll", "Nanoscience & Nanotechnology"),
    "molther": ("Molecular Therapy", "Mol Ther", "Molecular therapy : the journal of the American Society "
                "of Gene Therapy", "Mol. Ther.", "1525-0016", "United States", False, "ymthe",
                "Genetics & Heredity"),
    "cdd": ("Cell Death & Disease", "Cell Death Dis", "Cell death & disease", "Cell Death Dis.",
            "2041-4889", "England", True, "cddis", "Cell Biology"),
    "oncrep": ("Oncology Reports", "Oncol Rep", "Oncology reports", "Oncol. Rep.", "1021-335X", "Greece",
               False, "or", "Oncology"),
    "onclet": ("Oncology Letters", "Oncol Lett", "Oncology letters", "Oncol. Lett.", "1792-1074", "Greece",
               True, "ol", "Oncology"),
    "scirep": ("Scientific Reports", "Sci Rep", "Scientific reports", "Sci. Rep.", "2045-2322", "England",
               True, "srep", "Multidisciplinary Sciences"),
    "plos": ("PLoS One", "PLoS One", "PloS one", "PLoS One", "1932-6203", "United States", True,
             "pone", "Multidisciplinary Sciences"),
    "ijn": ("International Journal of Nanomedicine", "Int J Nanomedicine", "International journal of "
            "nanomedicine", "Int. J. Nanomed.", "1178-2013", "New Zealand", False, "ijn",
            "Nanoscience & Nanotechnology"),
    "jho": ("Journal of Hematology & Oncology", "J Hematol Oncol", "Journal of hematology & oncology",
            "J. Hematol. Oncol.", "1756-8722", "England", True, "jho", "Hematology"),
    "jitc": ("Journal for ImmunoTherapy of Cancer", "J Immunother Cancer", "Journal for immunotherapy of "
             "cancer", "J. Immunother. Cancer", "2051-1426", "England", True, "jitc", "Oncology"),
    "canres": ("Cancer Research", "Cancer Res", "Cancer research", "Cancer Res.", "0008-5472",
               "United States", False, "canres", "Oncology"),
    "blood": ("Blood", "Blood", "Blood", "Blood", "0006-4971", "United States", False, "blood",
              "Hematology"),
    "annonc": ("Annals of Oncology", "Ann Oncol", "Annals of oncology : official journal of the European "
               "Society for Medical Oncology", "Ann. Oncol.", "0923-7534", "England", False, "annonc",
               "Oncology"),
    "cytother": ("Cytotherapy", "Cytotherapy", "Cytotherapy", "Cytotherapy", "1465-3249", "England",
                 False, "jcyt", "Cell & Tissue Engineering"),
    "jtm": ("Journal of Translational Medicine", "J Transl Med", "Journal of translational medicine",
            "J. Transl. Med.", "1479-5876", "England", True, "jtm", "Medicine, Research & Experimental"),
    "zzlz": ("Chinese Journal of Oncology", "Zhonghua Zhong Liu Za Zhi",
             "Zhonghua zhong liu za zhi [Chinese journal of oncology]", "Chin. J. Oncol.", "0253-3766",
             "China", False, "cma", "Oncology"),
    "bebm": ("Bulletin of Experimental Biology and Medicine", "Bull Exp Biol Med",
             "Bulletin of experimental biology and medicine", "Bull. Exp. Biol. Med.", "0007-4888",
             "United States", False, "bebm", "Medicine, Research & Experimental"),
    "sysrev": ("Systematic Reviews", "Syst Rev", "Systematic reviews", "Syst. Rev.", "2046-4053",
               "England", True, "sysrev", "Medicine, General & Internal"),
    "mmb": ("Methods in Molecular Biology", "Methods Mol Biol", "Methods in molecular biology (Clifton, "
            "N.J.)", "Methods Mol. Biol.", "1064-3745", "United States", False, "mmb",
            "Biochemical Research Methods"),
    "jhep": ("Journal of Hepatology", "J Hepatol", "Journal of hepatology", "J. Hepatol.", "0168-8278",
             "Netherlands", False, "jhep", "Gastroenterology & Hepatology"),
    "jni": ("Journal of Neuroinflammation", "J Neuroinflammation", "Journal of neuroinflammation",
            "J. Neuroinflamm.", "1742-2094", "England", True, "jni", "Neurosciences"),
    "cardio": ("Cardiovascular Research", "Cardiovasc Res", "Cardiovascular research", "Cardiovasc. Res.",
               "0008-6363", "England", False, "cvr", "Cardiac & Cardiovascular Systems"),
    "sctr": ("Stem Cell Research & Therapy", "Stem Cell Res Ther", "Stem cell research & therapy",
             "Stem Cell Res. Ther.", "1757-6512", "England", True, "scrt", "Cell & Tissue Engineering"),
    "fcell": ("Frontiers in Cell and Developmental Biology", "Front Cell Dev Biol",
              "Frontiers in cell and developmental biology", "Front. Cell Dev. Biol.", "2296-634X",
              "Switzerland", True, "fcell", "Cell Biology"),
    "bbrc": ("Biochemical and Biophysical Research Communications", "Biochem Biophys Res Commun",
             "Biochemical and biophysical research communications", "Biochem. Biophys. Res. Commun.",
             "0006-291X", "United States", False, "bbrc", "Biophysics"),
    "nutr": ("Nutrients", "Nutrients", "Nutrients", "Nutrients", "2072-6643", "Switzerland", True,
             "nu", "Nutrition & Dietetics"),
    "repro": ("Journal of Reproductive Immunology", "J Reprod Immunol", "Journal of reproductive "
              "immunology", "J. Reprod. Immunol.", "0165-0378", "Ireland", False, "jri",
              "Reproductive Biology"),
}

# Conference supplements: journal key -> (conference name, place, volume/issue/supplement per year)
CONFERENCE_MONTH = {"jitc": 11, "canres": 7, "blood": 11, "annonc": 10, "cytother": 6, "jev": 4}
CONFERENCES = {
    "jitc": ("Society for Immunotherapy of Cancer (SITC) Annual Meeting", "Boston, MA, United States"),
    "canres": ("American Association for Cancer Research (AACR) Annual Meeting", "Virtual"),
    "blood": ("American Society of Hematology (ASH) Annual Meeting", "Virtual"),
    "annonc": ("European Society for Medical Oncology (ESMO) Congress", "Barcelona, Spain"),
    "cytother": ("International Society for Cell & Gene Therapy (ISCT) Annual Meeting", "Paris, France"),
    "jev": ("International Society for Extracellular Vesicles (ISEV) Annual Meeting", "Kyoto, Japan"),
}

# ---------------------------------------------------------------------------------------------
# People. Given names carry middle initials as bare letters ("Sarah K"); hyphenated given names
# abbreviate differently per database, which is one of the differences dedup must absorb.
NAME_POOLS = [
    (["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun",
      "Zhu", "Ma", "Hu", "Guo", "Lin", "He", "Gao", "Luo", "Song", "Tang", "Han", "Feng"],
     ["Xiaoming", "Yan", "Jing", "Lei", "Hui", "Jun", "Wei", "Mengmeng", "Qiuyu", "Yifan", "Zhiwei",
      "Haoran", "Xin", "Lu", "Yuting", "Jiayi", "Peng", "Shuang", "Chenxi", "Bo", "Ting", "Kai", "Yuxuan",
      "Zihan", "Ruiqi", "Hongmei", "Jianhua", "Xiaoli", "Fang", "Min", "Qing", "Rui", "Dan", "Zhen",
      "Guoqiang", "Lina", "Shiyu", "Wenjing", "Yao", "Zhongyi"]),
    (["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Shin", "Han"],
     ["Ji-Hoon", "Min-Jung", "Seung-Woo", "Hye-Jin", "Dong-Hyun", "So-Yeon", "Jae-Won", "Eun-Ji",
      "Sung-Min", "Yoo-Jin"]),
    (["Rossi", "Ferrari", "Romano", "Colombo", "Bruno", "Ricci", "Greco", "Marino", "Conti",
      "De Luca", "Esposito", "Moretti"],
     ["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Andrea", "Paolo", "Elena", "Matteo", "Sara"]),
    (["Ahmadi", "Hosseini", "Rezaei", "Mohammadi", "Karimi", "Moradi", "Jafari", "Rahimi", "Sadeghi",
      "Akbari", "Nazari"],
     ["Mohammad Reza", "Fatemeh", "Ali", "Zahra", "Reza", "Maryam", "Hamid", "Narges", "Amir Hossein"]),
    (["Smith", "Johnson", "Miller", "Brown", "Davis", "Wilson", "Anderson", "Müller", "Schmidt",
      "García", "Martínez", "Dubois", "O'Neill", "Novak", "Jensen", "van der Berg", "Kowalski"],
     ["Sarah K", "Michael J", "Emily", "David A", "Anna", "Thomas", "Laura M", "Daniel", "María José",
      "José Luis", "Jean-Pierre", "Katarzyna", "Lars", "Rachel E", "Peter"]),
]

AFFILIATIONS = [
    ("Department of Immunology, School of Basic Medical Sciences, Fudan University, Shanghai, China.",
     "Fudan Univ, Sch Basic Med Sci, Dept Immunol, Shanghai, Peoples R China."),
    ("Department of Biomedical Sciences, Seoul National University College of Medicine, Seoul, Korea.",
     "Seoul Natl Univ, Coll Med, Dept Biomed Sci, Seoul, South Korea."),
    ("Department of Oncology and Molecular Medicine, Istituto Superiore di Sanità, Rome, Italy.",
     "Ist Super Sanita, Dept Oncol & Mol Med, Rome, Italy."),
    ("Department of Medical Biotechnology, Faculty of Advanced Medical Sciences, Tabriz University of "
     "Medical Sciences, Tabriz, Iran.", "Tabriz Univ Med Sci, Fac Adv Med Sci, Tabriz, Iran."),
    ("Department of Pharmaceutics, College of Pharmacy, Sichuan University, Chengdu, China.",
     "Sichuan Univ, Coll Pharm, Dept Pharmaceut, Chengdu, Peoples R China."),
    ("Division of Hematology and Oncology, Department of Medicine, University of Minnesota, "
     "Minneapolis, MN, USA.", "Univ Minnesota, Dept Med, Div Hematol & Oncol, Minneapolis, MN USA."),
    ("Institute of Immunology, Ludwig-Maximilians-Universität München, Munich, Germany.",
     "Ludwig Maximilians Univ Munchen, Inst Immunol, Munich, Germany."),
    ("State Key Laboratory of Oncology in South China, Sun Yat-sen University Cancer Center, "
     "Guangzhou, China.", "Sun Yat Sen Univ, Canc Ctr, State Key Lab Oncol South China, Guangzhou, "
     "Peoples R China."),
    ("Department of Nanomedicine, Mashhad University of Medical Sciences, Mashhad, Iran.",
     "Mashhad Univ Med Sci, Dept Nanomed, Mashhad, Iran."),
    ("Department of Cell Biology, University of Copenhagen, Copenhagen, Denmark.",
     "Univ Copenhagen, Dept Cell Biol, Copenhagen, Denmark."),
]

# ---------------------------------------------------------------------------------------------
# Real works: only facts verified from their publishers' or PubMed pages. Every other field of
# their records (status, MeSH/Emtree terms, accession numbers, citation counts) is generated.
REAL = [
    dict(key="lugini2012", kind="article", real=True, year=2012, month=9, day=15, journal="jimmunol",
         title="Immune surveillance properties of human NK cell-derived exosomes",
         authors=[("Lugini", "Luana"), ("Cecchetti", "Serena"), ("Huber", "Veronica"),
                  ("Luciani", "Francesca"), ("Macchia", "Gianfranco"), ("Spadaro", "Francesca"),
                  ("Paris", "Luisa"), ("Abalsamo", "Laura"), ("Colone", "Marisa"), ("Molinari", "Agnese"),
                  ("Podo", "Franca"), ("Rivoltini", "Licia"), ("Ramoni", "Carlo"), ("Fais", "Stefano")],
         volume="189", issue="6", pages=("2833", "2842"), doi="10.4049/jimmunol.1101988",
         dbs=["embase", "wos", "scopus"], ta=1, inc=1, strategy="native", tumour="other",
         source="primary human NK", cell_line="several human tumour cell lines", model="in vitro cell line",
         mechanism="perforin/granzyme; FasL",
         abstract="Little was known about exosomes from natural killer (NK) cells when this study "
                  "examined vesicles released by resting and activated NK cells purified from the blood "
                  "of healthy donors. The vesicles carried NK cell markers together with perforin and Fas "
                  "ligand, were taken up by tumour cells, and killed several tumour cell lines as well as "
                  "activated, but not resting, immune cells. Plasma exosomes of healthy donors also "
                  "displayed NK markers and cytotoxicity. The authors propose a role for NK cell exosomes "
                  "in immune surveillance and homeostasis and as biomimetic nanovesicles for therapy.",
         keywords=[]),
    dict(key="fais2013", kind="editorial", real=True, year=2013, month=1, day=1, journal="oncoimm",
         title="NK cell-released exosomes: Natural nanobullets against tumors",
         authors=[("Fais", "Stefano")], volume="2", issue="1", pages=("e22337",), doi="10.4161/onci.22337",
         pmid="23482694", dbs=["pubmed", "embase", "wos", "scopus"], ta=0, reason_ta="not_primary_research",
         abstract="In this short author's view the writer summarises his group's finding that human NK "
                  "cells, and plasma of healthy donors, release exosomes bearing NK markers and cytotoxic "
                  "molecules able to kill tumour cells and activated immune cells, and argues that such "
                  "vesicles deserve study as therapeutic tools.",
         keywords=["exosomes", "nanomedicine", "natural killer", "perorin", "theranostic"]),
    dict(key="batista2021", kind="review", real=True, year=2021, month=1, day=26, journal="cancers",
         title="The Interplay of Exosomes and NK Cells in Cancer Biology",
         authors=[("Batista", "Inês A"), ("Quintas", "Sofia T"), ("Melo", "Sónia A")],
         volume="13", issue="3", pages=("473",), doi="10.3390/cancers13030473", pmid="33530529",
         pmcid="PMC7865893", dbs=["pubmed", "embase", "wos", "scopus"], ta=0, reason_ta="not_primary_research",
         abstract="This review discusses how exosomes shape the crosstalk between tumours and natural "
                  "killer cells: vesicles released by cancer cells that blunt NK cell activity and favour "
                  "immune escape, and vesicles from NK cells that may be exploited against tumours, with "
                  "the open questions for immunotherapy.",
         keywords=[]),
    dict(key="yang2023", kind="review", real=True, year=2023, month=5, day=23, journal="jeccr",
         title="Harnessing cancer stem cell-derived exosomes to improve cancer therapy",
         authors=[("Yang", "Jianqiang"), ("Teng", "Yong")], volume="42", issue="1", pages=(),
         doi="10.1186/s13046-023-02717-x", pmcid="PMC10204319", dbs=["embase", "wos", "scopus"], ta=0,
         reason_ta="not_primary_research",
         abstract="A narrative review of exosomes released by cancer stem cells: their cargo, their "
                  "contribution to self-renewal, metastasis, immune evasion and therapy resistance, and "
                  "how detecting or targeting them might be turned into diagnostic tools and treatments.",
         keywords=["Cancer stem cells", "Exosomes", "The tumor microenvironment", "Therapeutic target",
                   "Cancer anticancer strategy"]),
    dict(key="si2024", kind="review", real=True, year=2024, month=6, day=29, journal="molcan",
         title="Natural killer cell-derived exosome-based cancer therapy: from biological roles to "
               "clinical significance and implications",
         authors=[("Si", "Chaohua"), ("Gao", "Jianen"), ("Ma", "Xu")], volume="23", issue="1",
         pages=("134",), doi="10.1186/s12943-024-02045-4", pmid="38951879", pmcid="PMC11218398",
         dbs=["pubmed", "embase", "wos", "scopus"], ta=0, reason_ta="not_primary_research",
         abstract="This review covers where NK cell exosomes come from, how they are isolated and "
                  "engineered, and how modified vesicles have been combined with other anticancer "
                  "treatments, with attention to what clinical translation would require.",
         keywords=["Natural killer cells", "Cancer therapy", "Natural killer cell-derived exosomes", "Modification",
                   "Clinical translation"]),
    dict(key="javdani2025", kind="review", real=True, year=2025, month=7, day=8, journal="jtm",
         title="Tumor-derived exosomes and their application in cancer treatment",
         authors=[("Javdani-Mallak", "Afsaneh"), ("Mowla", "Seyed Javad"), ("Alibolandi", "Mona")],
         volume="23", issue="1", pages=(), doi="10.1186/s12967-025-06814-7", pmid="40629355",
         pmcid="PMC12236016", dbs=["pubmed", "embase", "wos", "scopus"], ta=0, reason_ta="not_primary_research",
         mesh=["Exosomes", "Humans", "Neoplasms", "Animals", "Tumor Microenvironment"],
         abstract="A review of exosomes released by tumour cells, which can both drive progression and "
                  "be repurposed: the authors survey their use as biomarkers and as carriers of drugs and "
                  "immunomodulators, and the standardisation problems that stand in the way of clinical use.",
         keywords=["Cancer", "Engineering exosomes", "Tumor cell-derived exosomes", "Tumor microenvironment"]),
]

# ---------------------------------------------------------------------------------------------
# Invented primary studies that pass title/abstract screening and are included. Outcome tuples:
# (measure, time point, unit, treated mean, SD, n, control mean, SD, n, comparator); abstracts
# quote the same numbers, so extraction later has a ground truth.
INCLUDED = [
    dict(key="nk92mel", year=2016, journal="jev", british=True, group="rossi",
         title="Exosomes released by NK-92 cells exert antitumour activity against melanoma in vitro "
               "and in vivo",
         source="NK-92", tumour="melanoma", tumour_text="melanoma", cell_line="A375; SK-MEL-28",
         strategy="native", mechanism="perforin/granzyme; FasL", model="xenograft", route="intratumoural",
         outcome=("tumour volume", "day 21", "mm3", 318, 64, 6, 902, 137, 6, "PBS")),
    dict(key="hcc2018", year=2018, journal="ijms", british=False, group="kimjh",
         title="Natural killer cell-derived exosomes suppress hepatocellular carcinoma growth",
         source="NK-92", tumour="hepatocellular", tumour_text="hepatocellular carcinoma",
         cell_line="HepG2; Huh7", strategy="native", mechanism="perforin/granzyme", model="in vitro cell line",
         route="in vitro", outcome=("cytotoxicity", "48 h", "%", 58.4, 6.1, 3, 7.9, 2.2, 3, "medium alone")),
    dict(key="hcc2020", year=2020, journal="thera", british=False, group="kimjh",
         title="Natural killer cell-derived exosomes suppress hepatocellular carcinoma growth and metastasis",
         source="NK-92", tumour="hepatocellular", tumour_text="hepatocellular carcinoma",
         cell_line="Huh7; MHCC97H", strategy="native", mechanism="perforin/granzyme; FasL", model="orthotopic",
         route="intravenous", outcome=("tumour weight", "day 28", "g", 0.42, 0.11, 8, 1.18, 0.23, 8, "PBS")),
    dict(key="ptxbreast", year=2021, journal="jcr", british=False, group="chenl",
         title="Paclitaxel-loaded natural killer cell exosomes for the treatment of triple-negative breast "
               "cancer",
         source="NK-92", tumour="breast", tumour_text="triple-negative breast cancer", cell_line="MDA-MB-231",
         strategy="drug-loaded", cargo="paclitaxel", loading="sonication", mechanism="perforin/granzyme; other",
         model="xenograft", route="intravenous",
         outcome=("tumour volume", "day 24", "mm3", 246, 71, 6, 1012, 188, 6, "PBS")),
    dict(key="doxgbm", year=2022, journal="ijn", british=False, group="wangx",
         title="Doxorubicin-loaded NK-92MI exosomes cross the blood-brain barrier and suppress orthotopic "
               "glioblastoma",
         source="NK-92MI", tumour="glioblastoma", tumour_text="glioblastoma", cell_line="U87MG-luc",
         strategy="drug-loaded", cargo="doxorubicin", loading="incubation", mechanism="perforin/granzyme; other",
         model="orthotopic", route="intravenous",
         outcome=("survival", "median survival", "days", 41.5, 4.2, 8, 27.1, 3.0, 8, "PBS")),
    dict(key="bcl2", year=2020, journal="fimmu", british=False, group="ahmadi",
         title="Natural killer cell exosomes loaded with BCL-2 siRNA enhance intrinsic apoptosis in breast "
               "cancer cells",
         source="primary human NK", tumour="breast", tumour_text="breast cancer", cell_line="MCF-7; SK-BR-3",
         strategy="drug-loaded", cargo="Bcl-2 siRNA", loading="electroporation", mechanism="perforin/granzyme; other",
         model="in vitro cell line", route="in vitro",
         outcome=("apoptosis", "48 h", "%", 47.6, 5.8, 3, 12.3, 3.1, 3, "unloaded exosomes")),
    dict(key="carnk", year=2023, journal="advsci", british=False, group="parksy",
         title="HER2-directed CAR-NK cell-derived exosomes target HER2-positive breast cancer",
         source="CAR-NK", tumour="breast", tumour_text="HER2-positive breast cancer", cell_line="SK-BR-3; BT-474",
         strategy="surface-modified", ligand="anti-HER2 chimeric antigen receptor",
         loading="transfection of parent cells", mechanism="perforin/granzyme; granulysin", model="xenograft",
         route="intravenous", outcome=("tumour volume", "day 21", "mm3", 188, 52, 6, 735, 140, 6, "PBS")),
    dict(key="as1411", year=2022, journal="acsnano", british=True, group="zhouh",
         title="AS1411 aptamer-functionalised NK cell exosomes for nucleolin-targeted therapy of lung "
               "adenocarcinoma",
         source="NK-92", tumour="lung", tumour_text="lung adenocarcinoma", cell_line="A549",
         strategy="surface-modified", ligand="nucleolin-binding AS1411 aptamer", loading="not applicable",
         mechanism="perforin/granzyme; FasL", model="xenograft", route="intravenous",
         outcome=("tumour volume", "day 18", "mm3", 301, 66, 6, 968, 151, 6, "PBS")),
    dict(key="rgdpanc", year=2024, journal="biomat", british=False, group="liuy",
         title="RGD peptide-modified NK cell exosomes carrying chlorin e6 for photodynamic therapy of "
               "pancreatic cancer",
         source="NK-92", tumour="pancreatic", tumour_text="pancreatic cancer", cell_line="PANC-1",
         strategy="surface-modified", cargo="chlorin e6", ligand="cyclic RGD peptide", loading="sonication",
         mechanism="perforin/granzyme; other", model="xenograft", route="intravenous",
         outcome=("tumour volume", "day 20", "mm3", 156, 47, 5, 824, 163, 5, "PBS")),
    dict(key="thyroid", year=2019, journal="oncrep", british=False, group="moretti",
         title="Exosomes from IL-15-activated human NK cells kill anaplastic thyroid cancer cells",
         source="primary human NK", tumour="thyroid", tumour_text="anaplastic thyroid cancer",
         cell_line="CAL-62; 8505C", strategy="native", mechanism="perforin/granzyme; cytokines",
         model="xenograft", route="intratumoural",
         outcome=("tumour volume", "day 25", "mm3", 402, 88, 6, 1130, 205, 6, "PBS")),
    dict(key="aml", year=2021, journal="cancers", british=True, group="jensen",
         title="Cytotoxicity of natural killer cell exosomes against acute myeloid leukaemia blasts",
         source="primary human NK", tumour="leukaemia", tumour_text="acute myeloid leukaemia",
         cell_line="K562; MOLM-13; primary AML blasts", strategy="native", mechanism="TRAIL; FasL",
         model="in vitro primary cells", route="in vitro",
         outcome=("cytotoxicity", "24 h", "%", 52.7, 7.4, 4, 6.5, 2.0, 4, "medium alone")),
    dict(key="mirpanc", year=2019, journal="canlet", british=False, group="sunq",
         title="Endogenous microRNA cargo of NK cell exosomes restrains pancreatic cancer cell invasion",
         source="NK-92", tumour="pancreatic", tumour_text="pancreatic cancer", cell_line="PANC-1; BxPC-3",
         strategy="native", cargo="endogenous miR-3607-3p", mechanism="miRNA", model="xenograft",
         route="intravenous", outcome=("tumour weight", "day 30", "g", 0.38, 0.09, 6, 0.91, 0.17, 6, "PBS")),
    dict(key="ovcis", year=2022, journal="jeccr", british=True, group="greco",
         title="NK cell-derived exosomes sensitise ovarian cancer cells to cisplatin",
         source="NK-92MI", tumour="ovarian", tumour_text="ovarian cancer", cell_line="SKOV3; A2780cis",
         strategy="native", mechanism="perforin/granzyme; cytokines", model="xenograft", route="intraperitoneal",
         outcome=("tumour weight", "day 28", "g", 0.29, 0.08, 7, 0.74, 0.15, 7, "cisplatin alone")),
    dict(key="tdedox", year=2020, journal="jnb", british=True, group="huangj",
         title="Tumour cell-derived exosomes as doxorubicin carriers for homologous targeting of breast "
               "cancer",
         source="tumour cell line", tumour="breast", tumour_text="breast cancer", cell_line="4T1",
         strategy="drug-loaded", cargo="doxorubicin", loading="electroporation", mechanism="other",
         model="syngeneic", route="intravenous",
         outcome=("tumour volume", "day 21", "mm3", 352, 79, 6, 1204, 214, 6, "PBS")),
    dict(key="cscgbm", year=2023, journal="molther", british=False, group="novak",
         title="Glioma stem cell-derived exosomes deliver temozolomide to glioma stem cells and delay "
               "tumor growth",
         source="cancer stem cell", tumour="glioblastoma", tumour_text="glioblastoma",
         cell_line="patient-derived glioma stem cells (GSC-7, GSC-11)", vivo_line="GSC-7",
         strategy="drug-loaded",
         cargo="temozolomide", loading="electroporation", mechanism="other", model="orthotopic",
         route="intravenous", outcome=("survival", "median survival", "days", 38.2, 3.9, 8, 29.4, 2.8, 8,
                                       "free temozolomide")),
]

# Pass title/abstract, excluded at full text; each abstract written for its reason.
FULLTEXT_EXCLUDED = [
    dict(key="proteome", year=2017, journal="scirep", group="hanbo", reason="wrong_outcome",
         source="NK-92", strategy="native", tumour="other",
         title="Proteomic characterisation of exosomes released by NK-92 cells",
         abstract="Exosomes secreted by the NK-92 cell line are candidate cell-free antitumour agents, but "
                  "their protein content is poorly defined. We isolated vesicles by density-gradient "
                  "ultracentrifugation and analysed them by label-free mass spectrometry. Of 1,742 "
                  "proteins identified, 312 were enriched relative to parental cells, including perforin, "
                  "granzymes A and B, granulysin and Fas ligand. The dataset provides a reference for "
                  "studies of NK cell vesicles in cancer."),
    dict(key="bioreactor", year=2022, journal="cytother", group="andersonr", reason="wrong_outcome",
         source="primary human NK", strategy="native", tumour="other",
         title="Scalable production of natural killer cell extracellular vesicles in a hollow-fibre "
               "bioreactor",
         abstract="BACKGROUND AIMS: Clinical use of NK cell extracellular vesicles (EVs) for cancer "
                  "requires manufacturing at scale. METHODS: Expanded human NK cells were cultured for "
                  "21 days in a hollow-fibre bioreactor and EVs were purified by tangential flow "
                  "filtration. RESULTS: Yield reached 4.1 x 10^12 particles per run with stable size and "
                  "tetraspanin profile; perforin and granzyme B content was retained. CONCLUSIONS: The "
                  "process supports GMP-compatible production for future antitumour testing."),
    dict(key="biodist", year=2023, journal="jnb", group="leeej", reason="wrong_outcome",
         source="NK-92", strategy="native", tumour="breast",
         title="Biodistribution of 89Zr-labelled NK cell exosomes in tumour-bearing mice",
         abstract="Tracking administered vesicles is essential for developing NK cell exosome therapies. "
                  "Exosomes from NK-92 cells were labelled with zirconium-89 and imaged by PET/CT for 72 h "
                  "after intravenous injection into mice bearing MDA-MB-231 tumours. Signal accumulated "
                  "in liver and spleen, with 2.8% of the injected dose per gram in tumours at 24 h. The "
                  "method allows quantitative comparison of vesicle formulations in vivo."),
    dict(key="carnk_ca", year=2022, journal="jitc", group="parksy", reason="conference_abstract",
         kind="conference_abstract", related="carnk", source="CAR-NK", strategy="surface-modified",
         tumour="breast", pages=("A812",), volume="10", issue="Suppl 2",
         title="HER2-targeted CAR-NK exosomes for the treatment of HER2+ breast cancer",
         abstract="Background: Exosomes from CAR-NK cells may combine the targeting of the receptor with "
                  "the cytotoxic cargo of NK cells. Methods: NK-92 cells were transduced with an anti-HER2 "
                  "CAR and exosomes were purified by ultracentrifugation. Results: CAR-NK exosomes bound "
                  "HER2-positive cells and killed SK-BR-3 cells more than exosomes from parental NK-92 "
                  "cells; growth of BT-474 xenografts was slowed. Conclusions: CAR-NK exosomes are a "
                  "promising off-the-shelf therapy."),
    dict(key="mir34_ca", year=2021, journal="canres", group="zhaom", reason="conference_abstract",
         kind="conference_abstract", source="NK-92MI", strategy="drug-loaded", tumour="glioblastoma",
         pages=("1602",), volume="81", issue="13 Suppl",
         title="NK-92MI exosomes loaded with miR-34a inhibit glioma stem-like cells",
         abstract="Glioma stem-like cells resist chemotherapy and NK cell attack. We electroporated "
                  "miR-34a mimics into exosomes from NK-92MI cells and tested them on neurospheres from "
                  "two glioblastoma lines. Loaded exosomes reduced sphere formation by 61% and CD133 "
                  "expression by half, and increased caspase-3 activity. NK-92MI exosomes may deliver "
                  "tumour-suppressive microRNAs to glioma stem-like cells."),
    dict(key="gastric_cn", year=2017, journal="zzlz", group="mab", reason="full_text_not_retrieved",
         language="chi", source="NK-92", strategy="native", tumour="other",
         title="Inhibitory effect of natural killer cell-derived exosomes on gastric cancer cells in vitro "
               "and in vivo",
         abstract="Objective: To investigate the effect of exosomes derived from NK-92 cells on gastric "
                  "cancer cells. Methods: Exosomes were obtained by ultracentrifugation and added to "
                  "SGC-7901 and MGC-803 cells; nude mice bearing SGC-7901 xenografts received peritumoral "
                  "injections. Results: Exosomes inhibited proliferation and induced apoptosis in a "
                  "concentration-dependent manner and reduced xenograft growth (P<0.05). Conclusion: "
                  "NK cell-derived exosomes inhibit gastric cancer growth."),
    dict(key="cervical", year=2015, journal="bebm", group="kowalski", reason="full_text_not_retrieved",
         source="NK-92", strategy="native", tumour="other",
         title="Cytotoxic activity of exosomes from NK-92 cells against cervical carcinoma cells",
         abstract="We studied the cytotoxic effect of exosomes secreted by NK-92 cells on HeLa and SiHa "
                  "cervical carcinoma cells. Vesicles were isolated by ultracentrifugation and identified "
                  "by electron microscopy and CD63 staining. After 24 h, exosomes reduced the viability of "
                  "both lines, and activity was lost after heat inactivation. NK-92 exosomes are cytotoxic "
                  "to cervical carcinoma cells in vitro."),
    dict(key="amldup", year=2022, journal="onclet", group="jensen", reason="duplicate_publication",
         related="aml", british=True, source="primary human NK", strategy="native", tumour="leukaemia",
         title="Natural killer cell exosomes are cytotoxic to acute myeloid leukaemia cells",
         abstract="Relapse after chemotherapy remains the main problem in acute myeloid leukaemia (AML). "
                  "Exosomes were isolated from expanded donor NK cells and tested against K562 and MOLM-13 "
                  "cells and primary AML blasts. Exosomes killed 53% of target cells at 24 h, an effect "
                  "blocked by neutralising TRAIL and FasL antibodies, and spared normal CD34+ progenitors. "
                  "NK cell exosomes deserve development for AML."),
    dict(key="cik", year=2019, journal="bbrc", group="tangw", reason="wrong_population",
         source="other", strategy="native", tumour="colorectal",
         title="Exosomes derived from cytokine-induced killer cells inhibit colorectal cancer growth",
         abstract="Killer lymphocytes expanded with cytokines are used in adoptive therapy of colorectal "
                  "cancer. We purified exosomes from cytokine-induced killer cells and found they carried "
                  "perforin and granzyme B, reduced HCT116 proliferation and induced apoptosis, and slowed "
                  "HCT116 xenograft growth in nude mice. Exosomes from killer cells may be developed as a "
                  "cell-free therapy for colorectal cancer."),
    dict(key="lak", year=2016, journal="plos", group="millerd", reason="wrong_population",
         source="other", strategy="native", tumour="lymphoma",
         title="Killer lymphocyte-derived exosomes induce apoptosis in B-cell lymphoma cells",
         abstract="Vesicles released by activated cytotoxic lymphocytes may contribute to tumour "
                  "control. Exosomes were isolated from IL-2-activated killer lymphocytes and incubated "
                  "with Raji and Daudi cells. Exosomes induced caspase-dependent apoptosis in up to 40% "
                  "of lymphoma cells, partly through Fas ligand. These vesicles could complement "
                  "antibody therapy of B-cell lymphoma."),
    dict(key="primed", year=2020, journal="cii", group="sadeghi", reason="wrong_intervention",
         source="primary human NK", strategy="n/a", tumour="lung",
         title="Tumour exosome-primed NK cells show enhanced cytotoxicity against lung cancer",
         abstract="Exosomes released by lung cancer cells carry heat shock proteins that can activate "
                  "natural killer cells. We exposed human NK cells to exosomes from A549 cells and "
                  "measured their killing of A549 targets. Primed NK cells showed higher degranulation, "
                  "IFN-γ release and cytotoxicity, and controlled A549 xenografts better than unprimed "
                  "cells. Tumour exosome priming may improve NK cell therapy."),
    dict(key="secretome", year=2021, journal="ijms", group="choisy", reason="wrong_intervention",
         source="NK-92", strategy="n/a", tumour="hepatocellular",
         title="Cell-free products of NK-92 cells inhibit hepatoma cell growth",
         abstract="Cell-free products of natural killer cells, including secreted proteins and vesicles, "
                  "may be safer than cell infusion. We collected conditioned medium from NK-92 cells and "
                  "tested its effect on HepG2 and Hep3B cells. Conditioned medium reduced hepatoma cell "
                  "proliferation by 45% and induced G1 arrest. NK-92-derived products merit study as "
                  "anti-hepatoma agents."),
    dict(key="lcl", year=2018, journal="fimmu", group="muller", reason="not_cancer",
         source="primary human NK", strategy="native", tumour="other",
         title="Natural killer cell exosomes target transformed B lymphocytes",
         abstract="Natural killer cells control transformed B cells, but the role of their exosomes is "
                  "unknown. Exosomes from activated human NK cells were incubated with transformed B "
                  "lymphocytes and autologous resting B cells. Exosomes were taken up preferentially by "
                  "transformed cells and induced their apoptosis through perforin and granzyme B, while "
                  "resting B cells were spared. NK exosomes may help eliminate transformed B cells."),
    dict(key="lyoph", year=2024, journal="jcr", group="gaox", reason="wrong_outcome",
         source="NK-92", strategy="native", tumour="other",
         title="Lyophilised NK cell exosomes retain their cytotoxic cargo after long-term storage",
         abstract="Storage limits the translation of exosome therapies for cancer. NK-92 exosomes were "
                  "freeze-dried with trehalose and stored for up to 6 months at 4 °C or room temperature. "
                  "Particle concentration, size, membrane integrity and perforin and granzyme B content "
                  "were preserved at 4 °C, whereas room-temperature storage led to aggregation. "
                  "Lyophilisation is a practical route to off-the-shelf NK exosome products."),
]

# What the full text showed, for the works excluded at that stage (the screening ground truth).
FULLTEXT_NOTES = {
    "proteome": "Full text: vesicle characterisation only; no cytotoxicity or tumour-growth experiment.",
    "bioreactor": "Full text: manufacturing yield and marker data only; no anti-tumour assay.",
    "biodist": "Full text: PET biodistribution only; tumour growth and cytotoxicity not measured.",
    "carnk_ca": "Meeting abstract (SITC 2022) of the study published in full as {related}.",
    "mir34_ca": "Meeting abstract (AACR 2021); no full report found.",
    "gastric_cn": "Full text (Chinese) not obtainable through the library or from the authors.",
    "cervical": "Full text not obtainable; request to the authors unanswered.",
    "amldup": "Same experiments and figures as {related}: secondary publication.",
    "cik": "Full text: cytokine-induced killer cells are CD3+CD56+ T cells; vesicles not from NK cells.",
    "lak": "Full text: vesicles from IL-2-activated PBMC, over 70% T cells; not NK-derived.",
    "primed": "Full text: the therapy is NK cells primed with tumour exosomes; no vesicle therapy.",
    "secretome": "Full text: EV-depleted conditioned medium; no vesicle fraction tested.",
    "lcl": "Full text: targets are EBV-immortalised lymphoblastoid cells from healthy donors; no tumour model.",
    "lyoph": "Full text: storage stability only; no anti-tumour outcome.",
    "hcc2018": "Near-identical title to {related} (same group, different study and year): not a duplicate.",
    "hcc2020": "Near-identical title to {related} (same group, different study and year): not a duplicate.",
}

# Relevant-looking works excluded at title/abstract: (category, title, year, journal, slot, slot).
# The slots fill that category's abstract template (scope/aspects for reviews, subject/finding
# for studies); for errata they name the corrected work and the correction.
NEAR_MISSES = [
    ("review", "Natural killer cell-derived exosomes in cancer therapy", 2020, "fimmu",
     "the antitumour properties of exosomes secreted by NK cells", "their cytotoxic cargo and uptake by tumour cells"),
    ("review", "Natural killer cell-derived exosomes in cancer therapy: progress and challenges", 2022, "ijms",
     "recent preclinical work on NK cell exosomes as anticancer agents", "loading and surface engineering strategies"),
    ("review", "Engineering extracellular vesicles from immune cells for tumour targeting", 2021, "jcr",
     "engineered vesicles from NK cells, T cells, macrophages and dendritic cells", "ligand display and cargo loading"),
    ("review", "CAR-NK cells and their extracellular vesicles: next-generation cancer immunotherapy", 2023, "jho",
     "chimeric antigen receptor NK cells and the vesicles they release", "manufacturing and early clinical data"),
    ("review", "Tumour-derived exosomes as drug carriers: opportunities and pitfalls", 2019, "canlet",
     "the use of tumour cell exosomes as homing drug carriers", "safety concerns about oncogenic cargo"),
    ("review", "Cancer stem cell-derived extracellular vesicles in therapy resistance", 2022, "molcan",
     "how vesicles from cancer stem cells spread resistance", "possible ways to block them"),
    ("review", "Exosome-based drug delivery systems for cancer: a systematic review of preclinical studies",
     2024, "jnb", "preclinical studies that used exosomes of any origin to deliver anticancer drugs",
     "loading efficiency and reporting quality"),
    ("review", "Immune cell-derived exosomes for cancer immunotherapy", 2018, "cancers",
     "exosomes from dendritic cells, T cells, NK cells and macrophages", "their antigen-presenting and cytotoxic functions"),
    ("review", "Natural killer cell extracellular vesicles: biology, isolation and therapeutic prospects", 2019,
     "jev", "the biogenesis, isolation and cargo of NK cell vesicles", "isolation methods and potency assays"),
    ("editorial", "Killer vesicles: are NK cell exosomes ready for the clinic?", 2021, "molther",
     "the promise and the gaps of NK cell exosome therapy", "Potency assays and dosing remain undefined."),
    ("editorial", "Commentary: Engineered NK exosomes as a precision weapon against breast cancer", 2023, "fimmu",
     "a recent report of receptor-engineered NK exosomes in breast cancer", "Independent replication is needed."),
    ("protocol", "Isolation and characterisation of exosomes from NK-92 cell cultures", 2021, "mmb",
     "a step-by-step method to isolate exosomes from NK-92 culture supernatant by ultracentrifugation and "
     "size-exclusion chromatography", "quality controls by nanoparticle tracking and immunoblotting"),
    ("protocol", "Natural killer cell-derived extracellular vesicles for cancer treatment: protocol for a "
     "systematic review of preclinical studies", 2023, "sysrev",
     "the planned methods of a systematic review of NK cell vesicles tested in tumour models",
     "eligibility criteria, outcomes and risk-of-bias assessment"),
    ("erratum", "ptxbreast", 2021, "jcr", "", "The loading efficiency in Table 1 was reported in the wrong units."),
    ("erratum", "Natural killer cell-derived exosomes in cancer therapy", 2020, "fimmu", "",
     "The affiliation of the second author was incomplete."),
    ("nkcell", "CAR-NK cells targeting EGFRvIII eradicate glioblastoma xenografts", 2021, "fimmu",
     "NK-92 cells engineered with an EGFRvIII-specific chimeric antigen receptor in orthotopic glioblastoma",
     "CAR-NK cells cleared tumours in 5 of 8 mice and prolonged survival."),
    ("nkcell", "Phase I trial of irradiated NK-92 cell infusions in refractory solid tumours", 2015, "cytother",
     "the safety of repeated infusions of irradiated NK-92 cells in 12 patients with refractory solid tumours",
     "Infusions were well tolerated; two patients had stable disease."),
    ("nkcell", "IL-15 superagonist enhances NK cell killing of ovarian cancer spheroids", 2019, "cii",
     "an IL-15 superagonist complex on NK cells cultured with ovarian cancer spheroids",
     "Treated NK cells infiltrated spheroids and increased spheroid killing threefold."),
    ("nkcell", "NKG2A blockade restores NK cell function against hepatocellular carcinoma", 2020, "jhep",
     "the effect of an anti-NKG2A antibody on intratumoural NK cells from resected liver cancers",
     "Blockade restored degranulation and IFN-γ production."),
    ("nkcell", "Memory-like NK cells induced by IL-12, IL-15 and IL-18 in acute myeloid leukaemia", 2018, "blood",
     "cytokine-induced memory-like NK cells against primary leukaemia blasts",
     "Memory-like NK cells killed blasts more than conventional NK cells."),
    ("nkcell", "Trispecific killer engagers redirect NK cells to CD33-positive leukaemia", 2022, "jho",
     "a trispecific engager linking CD16, IL-15 and CD33 with NK cells and leukaemia lines",
     "The engager induced NK cell expansion and potent killing of CD33+ cells."),
    ("otherexo", "Dendritic cell-derived exosomes as maintenance immunotherapy in non-small cell lung cancer",
     2016, "oncoimm", "IFN-γ-matured dendritic cell exosomes given after chemotherapy to 22 patients with lung cancer",
     "Exosomes were safe and some patients had prolonged disease stabilisation."),
    ("otherexo", "M1 macrophage-derived exosomes loaded with paclitaxel potentiate chemotherapy in breast cancer",
     2019, "biomat", "exosomes from M1-polarised macrophages loaded with paclitaxel in 4T1 tumours",
     "Loaded exosomes reprogrammed tumour-associated macrophages and slowed tumour growth."),
    ("otherexo", "Exosomes from CAR-T cells kill mesothelin-positive tumour cells", 2020, "molther",
     "exosomes released by mesothelin-directed CAR-T cells in breast cancer models",
     "CAR-T exosomes carried perforin and granzyme B and inhibited tumour growth without cytokine release syndrome."),
    ("otherexo", "Mesenchymal stem cell exosomes deliver miR-146b to glioma", 2017, "jeccr",
     "bone marrow mesenchymal stem cell exosomes engineered to carry miR-146b in a rat glioma model",
     "Intratumoural exosomes reduced glioma growth."),
    ("otherexo", "Neutrophil-derived nanovesicles carrying doxorubicin for postoperative glioma therapy",
     2021, "acsnano", "nanovesicles extruded from neutrophils and loaded with doxorubicin after glioma resection",
     "Vesicles homed to inflamed brain tissue and delayed recurrence."),
    ("otherexo", "CD8+ T cell exosomes deplete mesenchymal tumour stroma and prevent metastasis", 2018, "jev",
     "exosomes from activated cytotoxic T cells in mice with melanoma and lung metastases",
     "T cell exosomes eliminated mesenchymal stromal cells and reduced metastasis."),
    ("otherexo", "Milk-derived exosomes for oral delivery of paclitaxel", 2017, "canlet",
     "bovine milk exosomes loaded with paclitaxel given orally to mice with lung tumour xenografts",
     "Oral exosomal paclitaxel inhibited tumour growth with less toxicity than intravenous drug."),
    ("dx", "Circulating exosomal PD-L1 predicts response to anti-PD-1 therapy in melanoma", 2019, "jitc",
     "plasma exosomal PD-L1 before and during pembrolizumab in 64 patients with melanoma",
     "An early rise in exosomal PD-L1 identified non-responders."),
    ("dx", "A plasma exosomal microRNA panel for early detection of hepatocellular carcinoma", 2020, "jhep",
     "a four-microRNA exosomal signature in 312 patients with cirrhosis or early liver cancer",
     "The panel reached an area under the curve of 0.91."),
    ("dx", "NK cell-derived exosomes in plasma as a biomarker of immune status in lung cancer patients", 2022,
     "cancers", "CD56+ exosomes captured from plasma of 85 patients with lung cancer and 40 controls",
     "Lower NK exosome levels were associated with advanced stage and shorter survival."),
    ("dx", "Salivary exosome proteomics distinguishes oral squamous cell carcinoma", 2018, "scirep",
     "salivary exosome proteins in patients with oral squamous cell carcinoma and healthy controls",
     "Five proteins separated cancer from controls."),
    ("dx", "Urinary extracellular vesicle RNA signature for bladder cancer surveillance", 2021, "molcan",
     "urinary vesicle RNA in 190 patients under surveillance after bladder tumour resection",
     "The signature detected recurrence earlier than cytology."),
    ("noncancer", "NK cell-derived exosomes attenuate liver fibrosis by inhibiting hepatic stellate cell "
     "activation", 2020, "sctr", "exosomes from NK cells in mice with carbon tetrachloride-induced liver fibrosis",
     "Exosomal miR-223 suppressed stellate cell activation and reduced collagen deposition."),
    ("noncancer", "Natural killer cell extracellular vesicles exert antiviral activity against influenza A virus",
     2021, "fcell", "vesicles from activated NK cells in influenza-infected airway epithelial cells and mice",
     "Vesicles reduced viral titres and lung inflammation."),
    ("noncancer", "NK cell exosomes alleviate acute lung injury in septic mice", 2023, "ijms",
     "exosomes from NK cells in a caecal ligation and puncture model of sepsis",
     "Exosomes reduced neutrophil infiltration and improved survival."),
    ("noncancer", "Exosomes from NK cells reduce joint inflammation in collagen-induced arthritis", 2022, "fimmu",
     "NK cell exosomes given to mice with collagen-induced arthritis",
     "Exosomes lowered clinical scores and synovial TNF-α."),
    ("conf", "Plasma NK-derived exosome levels in metastatic melanoma", 2019, "annonc",
     "NK cell-derived exosomes in plasma of 48 patients starting immunotherapy for melanoma",
     "Baseline levels did not predict response."),
    ("conf", "NK cell exosomes reduce lung injury in a murine sepsis model", 2023, "cytother",
     "exosomes from expanded NK cells given after caecal ligation and puncture",
     "Lung injury scores fell by 35%."),
    ("conf", "Myeloma exosomes downregulate NKG2D on natural killer cells", 2020, "blood",
     "exosomes from multiple myeloma cell lines co-cultured with donor NK cells",
     "NKG2D expression and NK cytotoxicity decreased."),
    ("tde", "Tumour-derived exosomes impair NK cell cytotoxicity through TGF-β1", 2014, "cii",
     "exosomes from breast cancer cells and their effect on donor NK cells",
     "Exosomal TGF-β1 reduced NKG2D expression and NK killing."),
    ("tde", "Hepatocellular carcinoma exosomal circRNA inhibits NK cell function", 2021, "molcan",
     "a circular RNA packaged into exosomes by liver cancer cells and transferred to NK cells",
     "The circRNA suppressed NK cell IFN-γ and TNF-α secretion and was linked to poor prognosis."),
    ("tde", "Glioblastoma exosomes induce M2 polarisation of microglia", 2018, "jni",
     "exosomes from glioblastoma cells and their uptake by microglia in vitro and in mice",
     "Exosomes shifted microglia to an M2 phenotype that favoured tumour growth."),
    ("tde", "Cancer stem cell-derived exosomes promote stemness and chemoresistance in colorectal cancer",
     2020, "cdd", "exosomes from colorectal cancer stem cells added to differentiated cancer cells",
     "Recipient cells gained sphere-forming capacity and resistance to 5-fluorouracil."),
    ("tde", "Exosomal NKG2D ligands released by prostate cancer cells downregulate NKG2D on NK cells", 2015,
     "canres", "NKG2D ligands on exosomes from prostate cancer cell lines and patient plasma",
     "Exosomal ligands reduced NKG2D surface levels and NK cytotoxicity."),
    ("tde", "Pancreatic cancer exosomes suppress NK cell IFN-γ production via miR-103a", 2022, "jeccr",
     "exosomes from pancreatic cancer cells and their microRNA transfer to NK cells",
     "Exosomal miR-103a lowered IFN-γ production and NK-mediated killing."),
]

# Clearly irrelevant records a broad search returns: (title, year, journal, reason, subject, finding).
IRRELEVANT = [
    ("Exosomal alpha-synuclein spreads pathology between neurons in Parkinson's disease models", 2016, "jni",
     "not_cancer", "exosome-mediated transfer of alpha-synuclein between cultured neurons", "Exosomes carried seeding-competent oligomers."),
    ("Astrocyte-derived extracellular vesicles in Alzheimer's disease", 2019, "jni", "not_cancer",
     "vesicles released by astrocytes exposed to amyloid-beta", "Vesicles contained complement proteins toxic to neurons."),
    ("Cardiomyocyte-derived exosomes after myocardial infarction", 2018, "cardio", "not_cancer",
     "exosomes released by hypoxic cardiomyocytes in a mouse infarction model", "Exosomal microRNAs promoted fibroblast activation."),
    ("Mesenchymal stem cell exosomes improve cardiac repair after ischaemia-reperfusion injury", 2017, "cardio",
     "not_cancer", "intramyocardial injection of stem cell exosomes in rats", "Exosomes reduced infarct size by 30%."),
    ("Extracellular vesicles from adipose stem cells accelerate diabetic wound healing", 2020, "sctr",
     "not_cancer", "topical vesicles in diabetic mice with excisional wounds", "Wound closure was faster and angiogenesis increased."),
    ("Plant-derived exosome-like nanoparticles from ginger attenuate colitis", 2016, "biomat", "not_cancer",
     "oral ginger-derived nanoparticles in mice with dextran sulfate colitis", "Nanoparticles reduced inflammation and promoted epithelial repair."),
    ("Bovine milk extracellular vesicles and infant gut health", 2021, "nutr", "not_cancer",
     "vesicles in bovine milk formula fed to neonatal piglets", "Vesicles survived digestion and altered intestinal gene expression."),
    ("Urinary exosomes as biomarkers of acute kidney injury", 2014, "scirep", "not_cancer",
     "urinary exosomal proteins in patients after cardiac surgery", "Exosomal ATF3 rose before creatinine."),
    ("Exosomes from osteoclasts regulate bone formation", 2018, "fcell", "not_cancer",
     "osteoclast exosomes and osteoblast differentiation", "Exosomal miR-214 inhibited osteoblast activity."),
    ("Extracellular vesicles in COVID-19 coagulopathy", 2021, "fcell", "not_cancer",
     "tissue factor-bearing vesicles in plasma of hospitalised COVID-19 patients", "Vesicle tissue factor activity correlated with thrombosis."),
    ("Microglial exosomes in traumatic brain injury", 2022, "jni", "not_cancer",
     "exosomes released by microglia after controlled cortical impact in mice", "Exosomal miR-124 reduced neuroinflammation."),
    ("Placental extracellular vesicles in pre-eclampsia", 2019, "repro", "not_cancer",
     "syncytiotrophoblast vesicles in plasma of women with pre-eclampsia", "Vesicle levels were raised and impaired endothelial function."),
    ("Exosomal microRNAs in type 2 diabetes and insulin resistance", 2017, "ijms", "not_cancer",
     "adipose tissue macrophage exosomes transferred to lean mice", "Recipient mice developed insulin resistance."),
    ("Endothelial microparticles in pulmonary hypertension", 2015, "cardio", "not_cancer",
     "circulating endothelial microparticles in patients with pulmonary arterial hypertension", "Levels predicted haemodynamic severity."),
    ("Exosome therapy for spinal cord injury in rats", 2020, "sctr", "not_cancer",
     "intravenous stem cell exosomes after spinal cord contusion", "Treated rats recovered more locomotor function."),
    ("Helminth extracellular vesicles modulate host immunity", 2018, "fimmu", "not_cancer",
     "vesicles secreted by intestinal nematodes and their effect on host macrophages", "Vesicles suppressed type 2 inflammation."),
    ("Bacterial outer membrane vesicles as vaccine platforms", 2020, "advsci", "not_cancer",
     "engineered outer membrane vesicles displaying pneumococcal antigens in mice", "Vaccination protected against lethal challenge."),
    ("Standardisation of nanoparticle tracking analysis for plasma extracellular vesicles", 2019, "jev",
     "not_cancer", "inter-laboratory variation of particle counts in shared plasma samples", "Harmonised settings halved variability."),
    ("Size-exclusion chromatography versus ultracentrifugation for urinary vesicle isolation", 2017, "scirep",
     "not_cancer", "two isolation methods applied to urine of healthy volunteers", "Chromatography gave purer preparations with fewer protein contaminants."),
    ("Effects of freezing and thawing on plasma extracellular vesicle counts", 2016, "plos", "not_cancer",
     "plasma samples from healthy donors frozen at -80 °C for up to a year", "Repeated freeze-thaw cycles reduced counts by a fifth."),
    ("Extracellular vesicle release during exercise", 2018, "plos", "not_cancer",
     "plasma vesicles in healthy volunteers before and after cycling exercise", "Vesicle concentration doubled after exercise."),
    ("Uterine natural killer cells and spiral artery remodelling in pregnancy", 2015, "repro", "not_cancer",
     "decidual NK cells in first-trimester placental bed biopsies", "NK cell-derived factors correlated with remodelling."),
    ("NK cell dysfunction in recurrent pregnancy loss", 2019, "repro", "not_cancer",
     "peripheral and uterine NK cells in women with recurrent miscarriage", "Cytotoxicity was higher than in controls."),
    ("Natural killer cells in severe COVID-19", 2021, "fimmu", "not_cancer",
     "NK cell phenotype in peripheral blood of hospitalised COVID-19 patients", "Severe disease was associated with NK cell exhaustion."),
    ("NK cell responses to cytomegalovirus in transplant recipients", 2017, "blood", "not_cancer",
     "adaptive NKG2C+ NK cells after kidney transplantation", "Expansion of these cells coincided with viral control."),
    ("Natural killer cells in rheumatoid arthritis synovium", 2016, "fimmu", "not_cancer",
     "synovial NK cells in patients with rheumatoid arthritis", "Synovial NK cells produced more IFN-γ than blood NK cells."),
    ("Ageing alters natural killer cell maturation in mice", 2018, "fcell", "not_cancer",
     "NK cell maturation stages in young and old mice", "Old mice accumulated immature NK cells."),
    ("NK cells in non-alcoholic steatohepatitis", 2020, "jhep", "not_cancer",
     "hepatic NK cells in mice fed a high-fat diet", "NK cells limited fibrosis through IFN-γ."),
    ("Exercise mobilises natural killer cells into the circulation", 2019, "plos", "not_cancer",
     "blood NK cell counts in healthy adults before and after exercise", "Counts rose fivefold and returned to baseline within an hour."),
    ("Human NK cell development from cord blood progenitors", 2014, "blood", "not_cancer",
     "differentiation of cord blood CD34+ cells into NK cells in feeder-free cultures", "Cells acquired KIR expression after 28 days."),
    ("NK cell receptor polymorphisms and hepatitis C clearance", 2013, "jhep", "not_cancer",
     "KIR and HLA genotypes in people with resolved or chronic hepatitis C", "KIR2DL3 homozygosity was linked to clearance."),
    ("Liposomal doxorubicin versus conventional doxorubicin in metastatic breast cancer", 2013, "annonc",
     "wrong_intervention", "outcomes of 420 patients treated with either formulation", "Efficacy was similar and cardiotoxicity lower with liposomes."),
    ("Nab-paclitaxel plus gemcitabine in elderly patients with pancreatic cancer", 2018, "canlet",
     "wrong_intervention", "a retrospective cohort of patients over 75 years", "Median survival was 8.9 months."),
    ("Pembrolizumab in advanced hepatocellular carcinoma: real-world outcomes", 2020, "jhep",
     "wrong_intervention", "a multicentre cohort of 186 patients", "Objective responses occurred in 17%."),
    ("Gold nanoparticles for photothermal therapy of melanoma", 2017, "ijn", "wrong_intervention",
     "gold nanorods irradiated with near-infrared light in B16F10 tumours", "Tumours regressed after a single treatment."),
    ("Polymeric micelles co-delivering siRNA and docetaxel to lung cancer", 2019, "jcr", "wrong_intervention",
     "micelles carrying survivin siRNA and docetaxel in A549 xenografts", "Co-delivery outperformed either agent."),
    ("Radiotherapy fractionation in glioblastoma in older adults", 2016, "annonc", "wrong_intervention",
     "short-course versus standard radiotherapy in 240 older patients", "Survival did not differ."),
    ("CAR-T cells targeting CD19 in relapsed B-cell lymphoma", 2019, "blood", "wrong_intervention",
     "a single-centre series of 58 patients treated with CD19 CAR-T cells", "Complete responses were seen in 45%."),
    ("Oncolytic adenovirus combined with anti-PD-1 in ovarian cancer models", 2021, "molther",
     "wrong_intervention", "an oncolytic adenovirus with checkpoint blockade in syngeneic mice", "Combination cured 40% of mice."),
    ("Metformin and breast cancer recurrence: a cohort study", 2015, "canlet", "wrong_intervention",
     "metformin use and recurrence among 3,200 women with diabetes and breast cancer", "Metformin was not associated with recurrence."),
    ("Lipid nanoparticles delivering mRNA vaccines against melanoma", 2022, "acsnano", "wrong_intervention",
     "lipid nanoparticles carrying tumour antigen mRNA in mice", "Vaccination induced CD8+ T cell responses and delayed tumour growth."),
    ("Tumour-infiltrating lymphocytes and prognosis in triple-negative breast cancer", 2017, "annonc",
     "wrong_intervention", "stromal lymphocyte scores in 980 resected tumours", "Higher scores predicted longer survival."),
    ("Circulating tumour DNA for minimal residual disease in colorectal cancer", 2020, "molcan",
     "wrong_intervention", "postoperative circulating tumour DNA in 230 patients", "Detectable DNA predicted relapse."),
    ("PARP inhibitors as maintenance therapy in ovarian cancer: a meta-analysis", 2021, "jeccr",
     "wrong_intervention", "randomised trials of PARP inhibitor maintenance", "Progression-free survival improved across subgroups."),
    ("Hypoxia-inducible factor signalling in renal cell carcinoma", 2014, "canres", "wrong_intervention",
     "HIF-2α target genes in renal cancer cell lines", "HIF-2α drove a distinct metabolic programme."),
    ("Immune checkpoint inhibitor-related myocarditis: a case series", 2019, "jitc", "wrong_intervention",
     "eleven patients with myocarditis after checkpoint inhibitors", "Early steroids were associated with recovery."),
    ("Single-cell atlas of the hepatocellular carcinoma microenvironment", 2022, "jhep", "wrong_intervention",
     "single-cell RNA sequencing of 12 liver tumours", "Exhausted T cells and SPP1+ macrophages co-localised."),
    ("Ferroptosis inducers sensitise pancreatic cancer to gemcitabine", 2021, "cdd", "wrong_intervention",
     "erastin combined with gemcitabine in pancreatic cancer cells and xenografts", "The combination reduced tumour growth."),
    ("A nomogram for survival after resection of pancreatic cancer", 2018, "canlet", "wrong_intervention",
     "clinicopathological data of 1,104 resected patients", "The nomogram had a concordance index of 0.72."),
    ("Microbiome composition and response to immunotherapy in melanoma", 2020, "jitc", "wrong_intervention",
     "gut microbiota of 96 patients treated with anti-PD-1", "Responders had higher Ruminococcaceae abundance."),
    ("Mesenchymal stem cell exosomes promote breast cancer dormancy in bone marrow", 2016, "scirep",
     "wrong_population", "exosomes from bone marrow stromal cells and breast cancer cells", "Exosomal microRNAs induced quiescence."),
    ("Cancer-associated fibroblast exosomes drive chemoresistance in colorectal cancer", 2019, "jeccr",
     "wrong_population", "exosomes from cancer-associated fibroblasts and colorectal cancer cells", "Exosomal lncRNA induced stemness and oxaliplatin resistance."),
    ("Platelet-derived microparticles in cancer-associated thrombosis", 2015, "blood", "wrong_population",
     "platelet microparticles in patients with pancreatic and gastric cancer", "Microparticle levels predicted venous thrombosis."),
    ("Adipocyte-derived exosomes promote melanoma aggressiveness in obesity", 2017, "canres", "wrong_population",
     "exosomes from adipocytes of obese mice and melanoma cells", "Exosomes increased fatty acid oxidation and invasion."),
    ("Red blood cell extracellular vesicles for RNA drug delivery to leukaemia", 2018, "scirep",
     "wrong_population", "vesicles from red blood cells loaded with antisense oligonucleotides", "Vesicles silenced miR-125b in leukaemia cells."),
    ("Grapefruit-derived nanovectors deliver miR-18a to colon tumour-bearing livers", 2017, "molther",
     "wrong_population", "plant-derived nanovectors carrying miR-18a in mice with liver metastases", "Nanovectors induced M1 macrophages and reduced metastasis."),
    ("HEK293T exosomes engineered to display anti-EGFR nanobodies", 2020, "jev", "wrong_population",
     "exosomes from HEK293T cells displaying EGFR nanobodies", "Exosomes bound EGFR-positive tumour cells selectively."),
    ("Exosomes from bone marrow stromal cells protect myeloma cells from bortezomib", 2018, "blood",
     "wrong_population", "stromal cell exosomes and myeloma cell survival under bortezomib", "Exosomes activated survival signalling."),
    ("Synthetic exosome-mimetic liposomes for siRNA delivery", 2021, "small", "wrong_population",
     "liposomes bearing exosomal tetraspanins for siRNA delivery", "Mimetics reached transfection levels similar to natural exosomes."),
    ("Canine mammary tumour cell lines and their exosomal microRNA profiles", 2019, "plos", "wrong_intervention",
     "microRNAs in exosomes from canine mammary tumour cell lines", "Profiles differed between benign and malignant lines."),
    ("Honey bee venom melittin conjugates for cancer therapy", 2016, "ijn", "wrong_intervention",
     "melittin-polymer conjugates in breast and lung cancer cells", "Conjugates killed cancer cells with less haemolysis."),
    ("Zebrafish xenografts for rapid drug screening in neuroblastoma", 2020, "canlet", "wrong_intervention",
     "neuroblastoma cells injected into zebrafish larvae", "The model reproduced drug responses seen in mice."),
    ("Deep learning for histopathological grading of gliomas", 2022, "scirep", "wrong_intervention",
     "a convolutional network trained on 2,400 whole-slide images", "Accuracy reached 93%."),
    ("Vitamin D status and colorectal cancer survival", 2014, "nutr", "wrong_intervention",
     "serum vitamin D in 1,600 patients with colorectal cancer", "Higher levels were associated with better survival."),
    ("Exosomes in bovine mastitis", 2021, "scirep", "not_cancer",
     "milk exosomes from cows with and without mastitis", "Exosomal proteins distinguished infected quarters."),
    ("Extracellular vesicles in periodontitis", 2020, "fcell", "not_cancer",
     "vesicles from gingival crevicular fluid of patients with periodontitis", "Vesicles carried inflammatory cytokines."),
    ("Natural killer cells and exercise-induced immunity in older adults", 2022, "nutr", "not_cancer",
     "NK cell activity in older adults after a 12-week training programme", "Cytotoxicity increased modestly."),
    ("Probiotic supplementation increases natural killer cell activity in healthy adults", 2015, "nutr",
     "not_cancer", "a randomised trial of Lactobacillus supplementation in 120 adults", "NK cell activity rose after 8 weeks."),
    ("Serum exosomal microRNAs in sepsis", 2019, "ijms", "not_cancer",
     "exosomal microRNAs in serum of 60 patients with septic shock", "Three microRNAs predicted mortality."),
]

# ---------------------------------------------------------------------------------------------
# Lab groups behind several works (similar titles, a duplicate publication, a conference abstract).
GROUP_LEADS = {
    "rossi": ("Rossi", "Giulia"), "kimjh": ("Kim", "Ji-Hoon"), "chenl": ("Chen", "Lei"),
    "wangx": ("Wang", "Xiaoming"), "ahmadi": ("Ahmadi", "Mohammad Reza"), "parksy": ("Park", "So-Yeon"),
    "zhouh": ("Zhou", "Hui"), "liuy": ("Liu", "Yifan"), "moretti": ("Moretti", "Elena"),
    "jensen": ("Jensen", "Lars"), "sunq": ("Sun", "Qiuyu"), "greco": ("Greco", "Matteo"),
    "huangj": ("Huang", "Jing"), "novak": ("Novak", "Peter"), "hanbo": ("Han", "Bo"),
    "andersonr": ("Anderson", "Rachel E"), "leeej": ("Lee", "Eun-Ji"), "zhaom": ("Zhao", "Mengmeng"),
    "mab": ("Ma", "Bo"), "kowalski": ("Kowalski", "Katarzyna"), "tangw": ("Tang", "Wei"),
    "millerd": ("Miller", "David A"), "sadeghi": ("Sadeghi", "Narges"), "choisy": ("Choi", "Sung-Min"),
    "muller": ("Müller", "Thomas"), "gaox": ("Gao", "Xin"),
}
GROUP_POOL = {"rossi": 2, "moretti": 2, "greco": 2, "kimjh": 1, "parksy": 1, "leeej": 1, "choisy": 1,
              "ahmadi": 3, "sadeghi": 3, "jensen": 4, "novak": 4, "andersonr": 4, "millerd": 4,
              "kowalski": 4, "muller": 4}
GROUP_AFFIL = {"rossi": 2, "moretti": 2, "greco": 2, "kimjh": 1, "parksy": 1, "leeej": 1, "choisy": 1,
               "ahmadi": 3, "sadeghi": 8, "jensen": 9, "novak": 6, "andersonr": 5, "millerd": 5,
               "kowalski": 6, "muller": 6, "wangx": 4, "chenl": 0, "zhouh": 7, "liuy": 4, "sunq": 7,
               "huangj": 0, "hanbo": 0, "zhaom": 7, "mab": 7, "tangw": 4, "gaox": 4}
# Journal -> (volume step per year, base year): volume = step * (year - base) + a little noise.
VOLUMES = {"jev": (1, 2011), "fimmu": (1, 2009), "cancers": (1, 2008), "ijms": (1, 1999), "jnb": (1, 2002),
           "thera": (1, 2010), "biomat": (10, 1994), "jcr": (6, 1969), "acsnano": (1, 2006),
           "canlet": (15, 1990), "oncoimm": (1, 2011), "molcan": (1, 2001), "jeccr": (1, 1981),
           "cii": (1, 1951), "advsci": (1, 2013), "small": (1, 2004), "molther": (1, 1992), "cdd": (1, 2009),
           "oncrep": (2, 2000), "onclet": (1, 1999), "scirep": (1, 2010), "plos": (1, 2005), "ijn": (1, 2005),
           "jho": (1, 2007), "jitc": (1, 2012), "canres": (1, 1940), "blood": (2, 1952), "annonc": (1, 1989),
           "cytother": (1, 1998), "jtm": (1, 2002), "zzlz": (1, 1978), "bebm": (2, 1993), "sysrev": (1, 2011),
           "mmb": (120, 2002), "jhep": (2, 1984), "jni": (1, 2003), "cardio": (4, 1990), "sctr": (1, 2009),
           "fcell": (1, 2012), "bbrc": (20, 1995), "nutr": (1, 2008), "repro": (5, 1993), "jimmunol": (2, 1918)}
NO_ISSUE = {"fimmu", "fcell", "mmb", "biomat", "jcr", "canlet", "bbrc", "repro", "jhep"}
BMC_ISSUE = {"jnb", "molcan", "jeccr", "jho", "jtm", "sctr", "sysrev", "jni", "scirep", "cdd"}
ELSEVIER = {"biomat", "jcr", "canlet", "cytother", "jhep", "bbrc", "repro", "annonc"}
PUBLISHERS = {
    **{k: ("ELSEVIER", "AMSTERDAM") for k in ELSEVIER},
    **{k: ("MDPI", "BASEL") for k in ("cancers", "ijms", "nutr")},
    **{k: ("FRONTIERS MEDIA SA", "LAUSANNE") for k in ("fimmu", "fcell")},
    **{k: ("BMC", "LONDON") for k in ("jnb", "molcan", "jeccr", "jho", "jtm", "sctr", "sysrev", "jni")},
    **{k: ("NATURE PORTFOLIO", "BERLIN") for k in ("scirep", "cdd")},
    **{k: ("WILEY", "HOBOKEN") for k in ("jev", "advsci", "small")},
    **{k: ("SPANDIDOS PUBL LTD", "ATHENS") for k in ("oncrep", "onclet")},
    "oncoimm": ("TAYLOR & FRANCIS INC", "PHILADELPHIA"), "jimmunol": ("AMER ASSOC IMMUNOLOGISTS", "BETHESDA"),
    "thera": ("IVYSPRING INT PUBL", "LAKE HAVEN"), "acsnano": ("AMER CHEMICAL SOC", "WASHINGTON"),
    "molther": ("CELL PRESS", "CAMBRIDGE"), "plos": ("PUBLIC LIBRARY SCIENCE", "SAN FRANCISCO"),
    "ijn": ("DOVE MEDICAL PRESS LTD", "ALBANY"), "jitc": ("BMJ PUBLISHING GROUP", "LONDON"),
    "canres": ("AMER ASSOC CANCER RESEARCH", "PHILADELPHIA"), "blood": ("AMER SOC HEMATOLOGY", "WASHINGTON"),
    "cardio": ("OXFORD UNIV PRESS", "OXFORD"), "mmb": ("HUMANA PRESS INC", "TOTOWA"),
}

# Americanisation and Greek spelling, the two text differences databases really introduce.
US_SPELLING = [("tumour", "tumor"), ("Tumour", "Tumor"), ("leukaemia", "leukemia"), ("Leukaemia", "Leukemia"),
               ("haemat", "hemat"), ("characteris", "characteriz"), ("Characteris", "Characteriz"),
               ("sensitis", "sensitiz"), ("functionalis", "functionaliz"), ("Lyophilis", "Lyophiliz"),
               ("lyophilis", "lyophiliz"), ("polaris", "polariz"), ("labelled", "labeled"), ("fibre", "fiber"),
               ("standardis", "standardiz"), ("Standardis", "Standardiz"), ("stabilis", "stabiliz"),
               ("neutralis", "neutraliz"), ("recognis", "recogniz"), ("immunis", "immuniz"), ("optimis", "optimiz"),
               ("summaris", "summariz"), ("mobilis", "mobiliz"), ("analys", "analyz"), ("ischaem", "ischem"),
               ("oesoph", "esoph"), ("haemolysis", "hemolysis"), ("programme", "program"), ("caecal", "cecal"),
               ("sulphate", "sulfate"), ("behaviour", "behavior"), ("favour", "favor")]
GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa"}
PUBMED_MARKUP = [("mm³", "mm(3)"), ("89Zr", "(89)Zr"), ("10^12", "10(12)")]
PLAIN_MARKUP = [("mm³", "mm3"), ("10^12", "1012")]


def americanise(text: str) -> str:
    for british, american in US_SPELLING:
        text = text.replace(british, american)
    return text.replace("analyzis", "analysis").replace("analyzes", "analyses")


def spell_greek(text: str) -> str:
    for letter, name in GREEK.items():
        text = text.replace(letter, name)
    return text


def title_case(text: str) -> str:
    small = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "via",
             "with", "versus"}
    words = text.split(" ")
    return " ".join(w if (i and w.lower() in small) or any(c.isupper() for c in w[1:]) or not w[:1].isalpha()
                    else w[:1].upper() + w[1:] for i, w in enumerate(words))


def hyphen_variant(title: str) -> str:
    for old, new in (("NK cell-derived", "NK-cell derived"), ("natural killer cell-derived",
                     "natural killer cell derived"), ("Natural killer cell-derived", "Natural killer cell derived"),
                     ("cell-derived", "cell derived"), ("NK cell exosomes", "NK-cell exosomes")):
        if old in title:
            return title.replace(old, new, 1)
    return title


# ---------------------------------------------------------------------------------------------
# Author names as each database writes them. A person is (surname, given names); middle initials
# are bare capitals in the given names ("Sarah K"), as PubMed's FAU shows them.
def initials_compact(given: str, keep_middle: bool = True) -> str:
    """PubMed AU / WoS AU style: 'Ji-Hoon' -> 'JH', 'Sarah K' -> 'SK'."""
    out = ""
    for i, token in enumerate(given.split()):
        if len(token) == 1 and not keep_middle and i:
            continue
        out += "".join(piece[0] for piece in token.split("-") if piece)
    return out


def initials_dotted(given: str, keep_middle: bool = True) -> str:
    """Embase / Scopus style: 'Ji-Hoon' -> 'J.-H.', 'Sarah K' -> 'S.K.'."""
    out = ""
    for i, token in enumerate(given.split()):
        if len(token) == 1 and not keep_middle and i:
            continue
        out += "-".join(piece[0] + "." for piece in token.split("-") if piece)
    return out


def full_given(given: str, keep_middle: bool = True) -> str:
    """WoS AF / Scopus full names: middle initials get a period ('Sarah K.')."""
    tokens = [t for i, t in enumerate(given.split()) if keep_middle or len(t) > 1 or not i]
    return " ".join(t + "." if len(t) == 1 else t for t in tokens)


def scopus_author_id(person: tuple[str, str]) -> str:
    digest = int(hashlib.md5(("scopus:" + person[0] + "|" + person[1]).encode()).hexdigest(), 16)
    return str(57000000000 + digest % 2999999999) if digest % 5 else str(7000000000 + digest % 999999999)


class Builder:
    """Turns the specs above into works with authors, identifiers, abstracts and databases."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.teams: dict[str, list[tuple[str, str]]] = {}
        self.used_people: set[tuple[str, str]] = set()
        self.used_numbers: set[str] = set()
        self.works: list[dict] = []
        self.by_key: dict[str, dict] = {}

    # -- people -------------------------------------------------------------------------------
    def person(self, pool: int | None = None) -> tuple[str, str]:
        rng = self.rng
        if pool is None:
            pool = rng.choices(range(len(NAME_POOLS)), weights=[40, 12, 12, 14, 22])[0]
        surnames, givens = NAME_POOLS[pool]
        while True:
            p = (rng.choice(surnames), rng.choice(givens))
            if p not in self.used_people or rng.random() < 0.1:
                self.used_people.add(p)
                return p

    def team(self, group: str) -> list[tuple[str, str]]:
        if group not in self.teams:
            lead = GROUP_LEADS[group]
            pool = GROUP_POOL.get(group, 0)
            members = [self.person(pool if self.rng.random() < 0.8 else None) for _ in range(9)]
            self.teams[group] = [lead] + members
        return self.teams[group]

    def authors_for(self, spec: dict, kind: str) -> list[tuple[str, str]]:
        rng = self.rng
        low, high = {"review": (2, 6), "editorial": (1, 2), "protocol": (2, 5), "conference_abstract": (3, 7),
                     "erratum": (3, 7)}.get(kind, (3, 9))
        n = rng.randint(low, high)
        group = spec.get("group")
        if group:
            members = self.team(group)
            middle = rng.sample(members[1:-1], min(n - 2, len(members) - 2)) if n > 2 else []
            return [members[0]] + middle + ([members[-1]] if n > 1 else [])
        pool = rng.choices(range(len(NAME_POOLS)), weights=[40, 12, 12, 14, 22])[0]
        return [self.person(pool if rng.random() < 0.75 else None) for _ in range(n)]

    # -- identifiers --------------------------------------------------------------------------
    def unique(self, make) -> str:
        while True:
            value = make()
            if value not in self.used_numbers:
                self.used_numbers.add(value)
                return value

    def pages_for(self, jkey: str, year: int) -> tuple[str, ...]:
        rng = self.rng
        if not JOURNALS[jkey][6]:
            start = rng.randint(11, 240) if jkey == "mmb" else rng.randint(100, 2999)
            return (str(start), str(start + rng.randint(7, 15)))
        if jkey == "jev":
            return (f"e{rng.randint(12000, 12499)}",) if year >= 2020 else (str(rng.randint(1500000, 1790000)),)
        if jkey == "oncoimm":
            return (f"e{rng.randint(1000000, 2200000)}",)
        if jkey == "plos":
            return (f"e0{rng.randint(100000, 299999)}",)
        if jkey in ("advsci", "small"):
            return (f"e{(year % 100) * 100000 + rng.randint(1000, 99999)}",)
        if jkey == "biomat":
            return (str(rng.randint(120000, 122999)),)
        span = {"cancers": 6000, "ijms": 12000, "scirep": 20000, "fimmu": 1400, "fcell": 900, "cdd": 1000,
                "onclet": 800, "nutr": 4000, "jitc": 9999}.get(jkey, 400)
        return (str(rng.randint(1, span)),)

    def volume_issue(self, jkey: str, year: int, month: int) -> tuple[str, str]:
        step, base = VOLUMES[jkey]
        volume = str(step * (year - base) + (self.rng.randint(0, step - 1) if step > 1 else 0))
        if jkey in NO_ISSUE:
            return volume, ""
        if jkey in BMC_ISSUE:
            return volume, "1"
        if jkey in ("cancers", "ijms", "nutr"):
            return volume, str(min(24, month * 2 - self.rng.randint(0, 1)))
        return volume, str(month)

    # -- works ---------------------------------------------------------------------------------
    def add(self, spec: dict, **defaults) -> dict:
        rng = self.rng
        w = {**defaults, **spec}
        w.setdefault("kind", "article")
        w.setdefault("real", False)
        w.setdefault("language", "eng")
        w.setdefault("british", rng.random() < 0.3)
        if w["kind"] == "conference_abstract":
            w.setdefault("month", CONFERENCE_MONTH[w["journal"]])
        w["wid"] = f"W{len(self.works) + 1:03d}"
        if not w["real"]:
            w.setdefault("month", rng.randint(1, 12))
            w.setdefault("day", rng.randint(1, 28))
            w["authors"] = self.authors_for(w, w["kind"])
            vol, iss = self.volume_issue(w["journal"], w["year"], w["month"])
            w.setdefault("volume", vol)
            w.setdefault("issue", iss)
            w.setdefault("pages", self.pages_for(w["journal"], w["year"]))
            stem = JOURNALS[w["journal"]][7]
            w["doi"] = self.unique(lambda: f"10.5555/{stem}.{w['year']}.{rng.randint(1000, 99999):05d}")
            if w["kind"] == "conference_abstract" and w["journal"] == "cytother":
                w["doi"] = ""  # meeting abstracts in this supplement carry no DOI
        w.setdefault("affil", GROUP_AFFIL.get(w.get("group", ""), rng.randrange(len(AFFILIATIONS))))
        w.setdefault("inc", 0)
        w.setdefault("reason_ta", "")
        w.setdefault("reason_ft", "")
        self.works.append(w)
        self.by_key[w.get("key") or w["wid"]] = w
        return w


# ---------------------------------------------------------------------------------------------
# Abstracts. Written in British spelling and Americanised for works that are not British.
BG_NK = [
    "Natural killer (NK) cells recognise and lyse malignant cells without prior sensitisation, and the "
    "exosomes they secrete carry part of this cytotoxic machinery.",
    "Exosomes secreted by NK cells have been proposed as a cell-free alternative to adoptive NK cell "
    "transfer, which is limited by poor persistence and an immunosuppressive tumour microenvironment.",
    "Cell-free products of cytotoxic lymphocytes may keep their antitumour activity while avoiding the "
    "manufacturing and safety problems of cell infusion.",
    "NK cell-derived extracellular vesicles contain perforin, granzymes and death ligands, yet their "
    "therapeutic value in solid tumours is still debated.",
]
BG_SOURCE = {
    "tumour cell line": "Tumour cell-derived exosomes return preferentially to cells of their tissue of "
                        "origin, a homing property that could be exploited for drug delivery.",
    "cancer stem cell": "Cancer stem cells drive relapse and resistance, and the exosomes they release share "
                        "their adhesion molecules and are taken up avidly by stem-like tumour cells.",
}
SOURCE_TEXT = {"NK-92": "NK-92 cells", "NK-92MI": "NK-92MI cells", "primary human NK": "primary human NK cells",
               "CAR-NK": "HER2-specific CAR-NK cells", "tumour cell line": "4T1 tumour cells",
               "cancer stem cell": "patient-derived glioma stem cells"}
ISOLATION = [("differential ultracentrifugation", "differential ultracentrifugation"),
             ("ultracentrifugation on a sucrose cushion", "density gradient"),
             ("size-exclusion chromatography", "size-exclusion chromatography"),
             ("tangential flow filtration and size-exclusion chromatography", "ultrafiltration"),
             ("a polymer precipitation kit", "polymer precipitation")]
CHARACTERISATION = [("nanoparticle tracking analysis, transmission electron microscopy and immunoblotting "
                     "for CD63, TSG101 and ALIX", "NTA; electron microscopy", "CD63; TSG101; ALIX"),
                    ("dynamic light scattering, electron microscopy and flow cytometry for CD9 and CD81",
                     "DLS; electron microscopy", "CD9; CD81"),
                    ("nanoparticle tracking analysis and immunoblotting for CD63, CD81 and HSP70, with "
                     "calnexin as a negative marker", "NTA", "CD63; CD81; HSP70")]
MECHANISM_TEXT = {
    "perforin/granzyme": ("perforin and granzyme B", "inhibiting perforin with concanamycin A roughly halved killing"),
    "FasL": ("Fas ligand", "a neutralising anti-FasL antibody partly prevented apoptosis"),
    "TRAIL": ("TRAIL", "TRAIL neutralisation reduced cytotoxicity"),
    "granulysin": ("granulysin", "granulysin was detected in the vesicle lumen"),
    "cytokines": ("IFN-γ and TNF-α", "vesicle-bound IFN-γ upregulated Fas on tumour cells"),
    "miRNA": ("microRNA cargo", "antagomir treatment of recipient cells abolished the effect"),
}
OTHER_MECH = {"paclitaxel": "microtubule stabilisation by the released drug",
              "doxorubicin": "nuclear accumulation of the released drug",
              "Bcl-2 siRNA": "silencing of BCL-2, which lowered the apoptotic threshold",
              "chlorin e6": "reactive oxygen species generated on light irradiation",
              "temozolomide": "DNA alkylation in stem-like cells that express little MGMT"}
CONCLUSIONS = {
    "native": "Unmodified {src} exosomes are a candidate cell-free therapy for {tumour}.",
    "drug-loaded": "Loading {cargo} into {src} exosomes combines targeted delivery with vesicle cytotoxicity "
                   "and merits development for {tumour}.",
    "surface-modified": "Surface engineering with {ligand} improves the tumour targeting of {src} exosomes in "
                        "{tumour}.",
}


SHORT_SOURCE = {"NK-92": "NK-92", "NK-92MI": "NK-92MI", "primary human NK": "human NK cell",
                "CAR-NK": "CAR-NK cell", "tumour cell line": "4T1 tumour cell", "cancer stem cell": "glioma stem cell"}


def fmt_num(x: float) -> str:
    return str(x)


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def with_article(phrase: str) -> str:
    return ("an " if phrase[0].lower() in "aeiou" else "a ") + phrase


def outcome_sentence(w: dict) -> str:
    measure, time, _unit, t, tsd, tn, c, csd, _cn, comp = w["outcome"]
    if measure == "tumour volume":
        return (f"At {time}, mean tumour volume was {t} ± {tsd} mm³ in treated mice versus {c} ± {csd} mm³ "
                f"with {comp} (n = {tn} per group; P < 0.01).")
    if measure == "tumour weight":
        return (f"At {time}, tumour weight was {fmt_num(t)} ± {fmt_num(tsd)} g versus {fmt_num(c)} ± "
                f"{fmt_num(csd)} g with {comp} (n = {tn} per group).")
    if measure == "survival":
        return (f"Mean survival was {fmt_num(t)} ± {fmt_num(tsd)} days compared with {fmt_num(c)} ± "
                f"{fmt_num(csd)} days with {comp} (n = {tn} mice per group; log-rank P < 0.001).")
    if measure == "cytotoxicity":
        return (f"Exosomes killed {fmt_num(t)} ± {fmt_num(tsd)}% of target cells at {time}, compared with "
                f"{fmt_num(c)} ± {fmt_num(csd)}% with {comp} (n = {tn} independent experiments).")
    return (f"Annexin V-positive cells reached {fmt_num(t)} ± {fmt_num(tsd)}% at {time} versus {fmt_num(c)} ± "
            f"{fmt_num(csd)}% with {comp} (n = {tn} independent experiments).")


def included_abstract(w: dict, rng: random.Random) -> str:
    src, short = SOURCE_TEXT[w["source"]], SHORT_SOURCE[w["source"]]
    if w["source"] == "primary human NK" and "IL-15" in w["title"]:
        src, short = "IL-15-activated human NK cells", "IL-15-activated NK cell"
    bg = BG_SOURCE.get(w["source"]) or rng.choice(BG_NK)
    if w["strategy"] == "native":
        vesicle = f"exosomes from {src}"
    elif w["strategy"] == "drug-loaded":
        vesicle = f"exosomes from {src} loaded with {w['cargo']}"
    else:
        vesicle = f"exosomes from {src} displaying {with_article(w['ligand'])}"
        if w.get("cargo"):
            vesicle += f" and carrying {w['cargo']}"
    verb = rng.choice(["We asked whether", "Here we tested whether", "This study examined whether"])
    aim = f"{verb} {vesicle} could control {w['tumour_text']}."
    iso_text, w["isolation_method"] = rng.choice(ISOLATION)
    char_text, w["size_method"], w["positive_markers"] = rng.choice(CHARACTERISATION)
    w["mean_size_nm"] = rng.choice([92, 104, 117, 121, 128, 133, 141, 146])
    methods = (f"Vesicles were isolated from culture supernatants by {iso_text} and characterised by "
               f"{char_text} (modal size {w['mean_size_nm']} nm).")
    if w["strategy"] == "drug-loaded" or w.get("cargo") and w["strategy"] != "native":
        methods += (f" {w['cargo'][0].upper() + w['cargo'][1:]} was loaded by {w['loading']} with an "
                    f"encapsulation efficiency of {rng.randint(18, 46)}%.")
    if w["strategy"] == "surface-modified":
        how = ("expressed on the parent cells" if w["loading"] == "transfection of parent cells"
               else rng.choice(["inserted into the membrane as a DSPE-PEG conjugate",
                                "attached by metabolic glycoengineering and click chemistry"]))
        methods += f" The targeting ligand was {how}."
    mechs = [m.strip() for m in w["mechanism"].split(";")]
    named = [MECHANISM_TEXT[m] for m in mechs if m in MECHANISM_TEXT]
    mech_sentence = ""
    if named:
        also = f", and on {named[1][0]}" if len(named) > 1 else ""
        mech_sentence = f"Killing depended on {named[0][0]}{also}; {named[0][1]}."
    if "other" in mechs and w.get("cargo") in OTHER_MECH:
        mech_sentence += f" The loaded vesicles also acted through {OTHER_MECH[w['cargo']]}."
    cells = and_list(w["cell_line"].split("; "))
    cells += "" if cells.endswith((")", "blasts")) else " cells"
    in_vitro = (f"The vesicles were taken up by {cells} within 4 h and "
                f"reduced their viability in a dose-dependent manner (IC50 about "
                f"{rng.choice([12, 18, 25, 31, 40])} µg/mL).")
    outcome = outcome_sentence(w)
    if w["model"].startswith("in vitro"):
        results = f"{in_vitro} {outcome} {mech_sentence}".strip()
    else:
        route = {"intravenous": "Intravenous", "intratumoural": "Intratumoural",
                 "intraperitoneal": "Intraperitoneal"}[w["route"]]
        mice = {"xenograft": "nude mice bearing subcutaneous", "orthotopic": "mice with orthotopic",
                "syngeneic": "BALB/c mice bearing"}[w["model"]]
        tox = rng.choice(["without weight loss or liver and kidney toxicity",
                          "with no change in body weight or serum transaminases",
                          "and histology of major organs was unremarkable"])
        vivo = w.get("vivo_line") or w["cell_line"].split(";")[0]
        results = (f"{in_vitro} {mech_sentence} {route} injection in {mice} {vivo} tumours "
                   f"slowed tumour growth {tox}. {outcome}").replace("  ", " ")
    conclusion = CONCLUSIONS[w["strategy"]].format(src=short, tumour=w["tumour_text"], cargo=w.get("cargo", ""),
                                                   ligand=with_article(w.get("ligand", "x")))
    if rng.random() < 0.5:
        text = f"BACKGROUND: {bg} {aim} METHODS: {methods} RESULTS: {results} CONCLUSIONS: {conclusion}"
    else:
        text = f"{bg} {aim} {methods} {results} {conclusion}"
    return text if w["british"] else americanise(text)


BG_NEAR = {
    "review": ["Exosomes have moved from curiosities of cell biology to candidate anticancer agents.",
               "Extracellular vesicles are being explored as both targets and tools in oncology.",
               "Interest in cell-free immunotherapy has grown rapidly over the past decade."],
    "nkcell": ["Natural killer cells are attractive effectors for cancer immunotherapy because they do not "
               "require antigen priming.", "Adoptive NK cell therapy is limited by poor persistence and "
               "tumour-induced dysfunction."],
    "otherexo": ["Exosomes from many cell types can be engineered as anticancer agents or carriers.",
                 "Vesicles secreted by immune and stromal cells influence tumour immunity."],
    "dx": ["Liquid biopsy based on extracellular vesicles could complement tissue biopsy.",
           "Circulating exosomes carry tumour-derived proteins and RNA that may serve as biomarkers."],
    "noncancer": ["Beyond cancer, NK cells regulate inflammation and fibrosis.",
                  "Vesicles from NK cells may modulate immune responses in infection and inflammation."],
    "tde": ["Tumour cells release large numbers of exosomes that reshape the tumour microenvironment.",
            "Cancer cells use exosomes to escape immune surveillance."],
}
CLOSE_NEAR = {
    "nkcell": "These data support further clinical development.",
    "otherexo": "These vesicles may be useful in cancer therapy.",
    "dx": "Validation in independent cohorts is warranted.",
    "noncancer": "NK cell vesicles may have therapeutic potential in this setting.",
    "tde": "Targeting this pathway may restore antitumour immunity.",
}
IRR_BG = ["Better understanding of this process could inform new treatments.",
          "Clinical and experimental data on this question remain limited.",
          "Previous studies have given conflicting results.",
          "Few studies have addressed this question in a controlled setting."]
IRR_CLOSE = ["These findings warrant further investigation.", "The results may guide future studies.",
             "Larger studies are needed to confirm these observations.", ""]


def near_miss_abstract(cat: str, a: str, b: str, rng: random.Random) -> str:
    if cat == "review":
        return (f"{rng.choice(BG_NEAR['review'])} This review {rng.choice(['summarises', 'discusses', 'examines'])} "
                f"{a}. We {rng.choice(['describe', 'outline', 'cover'])} {b}, and consider "
                f"{rng.choice(['the obstacles to clinical translation', 'standardisation of isolation and dosing', 'safety and scalability'])}. "
                f"{rng.choice(['Future directions are proposed.', 'Open questions are highlighted.', ''])}").strip()
    if cat == "editorial":
        return f"This {rng.choice(['editorial', 'commentary'])} considers {a}. {b}"
    if cat == "protocol" and "systematic review" in a:
        return (f"BACKGROUND: Preclinical studies of NK cell-derived vesicles are numerous but heterogeneous. "
                f"METHODS: This protocol describes {a}, covering {b}. MEDLINE, Embase, Web of Science and "
                f"Scopus will be searched without language limits, and two reviewers will screen and extract "
                f"independently. DISCUSSION: The review will summarise efficacy and the quality of vesicle "
                f"characterisation.")
    if cat == "protocol":
        return f"This chapter provides {a}, together with {b}. Notes on troubleshooting are included."
    if cat == "conf":
        return (f"Background: {rng.choice(BG_NEAR['dx'] + BG_NEAR['tde'])} Methods: We studied {a}. "
                f"Results: {b} Conclusions: Further work is ongoing.")
    return (f"{rng.choice(BG_NEAR[cat])} We {rng.choice(['studied', 'investigated', 'analysed'])} {a}. {b} "
            f"{CLOSE_NEAR[cat]}")


def irrelevant_abstract(subject: str, finding: str, rng: random.Random) -> str:
    verb = rng.choice(["examined", "analysed", "characterised", "investigated"])
    return f"{rng.choice(IRR_BG)} In this study, we {verb} {subject}. {finding} {rng.choice(IRR_CLOSE)}".strip()


# ---------------------------------------------------------------------------------------------
# The catalogue of works, their databases, identifiers and per-database differences.
NEAR_KIND = {"review": "review", "editorial": "editorial", "protocol": "protocol", "erratum": "erratum",
             "conf": "conference_abstract"}
NEAR_REASON = {"review": "not_primary_research", "editorial": "not_primary_research",
               "protocol": "not_primary_research", "erratum": "not_primary_research",
               "nkcell": "wrong_intervention", "otherexo": "wrong_population", "dx": "wrong_intervention",
               "noncancer": "not_cancer", "conf": "conference_abstract", "tde": "wrong_intervention"}
FIXED_DBS = {"thyroid": ["embase"], "tdedox": ["wos", "scopus"], "carnk_ca": ["embase", "wos"],
             "mir34_ca": ["embase"], "gastric_cn": ["pubmed", "embase", "scopus"],
             "cervical": ["pubmed", "wos", "scopus"], "amldup": ["pubmed", "embase", "scopus"]}
DB_WEIGHTS = {"pubmed": 1.0, "embase": 1.1, "scopus": 1.0, "wos": 0.8}
HOW_MANY = {"included": {4: 55, 3: 33, 2: 12}, "fulltext": {4: 40, 3: 40, 2: 20},
            "near": {4: 22, 3: 33, 2: 30, 1: 15}, "irrelevant": {1: 60, 2: 30, 3: 10}}
OPEN_ACCESS = {"jev", "fimmu", "cancers", "ijms", "jnb", "thera", "oncoimm", "molcan", "jeccr", "advsci",
               "cdd", "scirep", "plos", "ijn", "jho", "jitc", "jtm", "sysrev", "jni", "sctr", "fcell", "nutr"}


def erratum_title(original: dict) -> str:
    j = JOURNALS[original["journal"]]
    if original["journal"] in ELSEVIER:
        pages = "-".join(original["pages"])
        return (f"Corrigendum to \"{original['title']}\" [{j[3]} {original['volume']} ({original['year']}) "
                f"{pages}]")
    if original["journal"] in ("fimmu", "fcell"):
        return f"Corrigendum: {original['title']}"
    return f"Correction to: {original['title']}"


def build_works(rng: random.Random) -> list[dict]:
    b = Builder(rng)
    b.add(dict(REAL[0]), category="included")
    for spec in INCLUDED:
        w = b.add(dict(spec), ta=1, inc=1, category="included")
        w["abstract"] = included_abstract(w, rng)
    for spec in FULLTEXT_EXCLUDED:
        spec = dict(spec)
        spec.setdefault("british", rng.random() < 0.5)
        w = b.add(spec, ta=1, inc=0, reason_ft=spec["reason"], category="fulltext")
        if not w["british"]:
            w["abstract"] = americanise(w["abstract"])
    for spec in REAL[1:]:
        b.add(dict(spec), category="near", reason_ft="")
    for cat, title, year, journal, a, bb in NEAR_MISSES:
        kind = NEAR_KIND.get(cat, "article")
        spec = dict(title=title, year=year, journal=journal, kind=kind, ta=0, reason_ta=NEAR_REASON[cat],
                    near_cat=cat)
        if cat == "erratum":
            original = b.by_key.get(title) or next(x for x in b.works if x["title"] == title)
            later = original["month"] > 8
            spec.update(title=erratum_title(original), related=original["wid"], british=original["british"],
                        group=original.get("group"), year=original["year"] + later,
                        month=(original["month"] + rng.randint(2, 4) - 1) % 12 + 1)
            w = b.add(spec, category="near")
            w["authors"] = list(original["authors"])
            w["abstract"] = ""
            w["correction"] = bb
            original["erratum"] = w["wid"]
            continue
        if cat == "conf":
            spec["issue"] = {"annonc": "Suppl 5", "cytother": "6 Suppl", "blood": "Suppl 1"}[journal]
            n = rng.randint(20, 900)
            spec["pages"] = {"annonc": (f"v{n}",), "cytother": (f"S{n // 4}",), "blood": (str(n), str(n + 1))}[journal]
        w = b.add(spec, category="near")
        w["abstract"] = near_miss_abstract(cat, a, bb, rng)
    for title, year, journal, reason, subject, finding in IRRELEVANT:
        w = b.add(dict(title=title, year=year, journal=journal, ta=0, reason_ta=reason), category="irrelevant")
        w["abstract"] = irrelevant_abstract(subject, finding, rng)
    for w in b.works:
        if not w["real"] and not w["british"]:
            w["title"] = americanise(w["title"])
            w["abstract"] = americanise(w["abstract"])
        if w.get("related") and w["kind"] == "conference_abstract":
            w["related"] = b.by_key[w["related"]]["wid"]
        if w.get("related") and w.get("reason_ft") == "duplicate_publication":
            w["related"] = b.by_key[w["related"]]["wid"]
    # Two works from the same group (kimjh) with near-identical titles: record the pair.
    pair = [w for w in b.works if w.get("key") in ("hcc2018", "hcc2020")]
    pair[0]["related"], pair[1]["related"] = pair[1]["wid"], pair[0]["wid"]
    assign_databases(b.works, rng)
    assign_identifiers(b.works, rng, b)
    return b.works


def assign_databases(works: list[dict], rng: random.Random) -> None:
    for w in works:
        if "dbs" in w:
            continue
        key = w.get("key", "")
        if key in FIXED_DBS:
            w["dbs"] = list(FIXED_DBS[key])
        elif w["kind"] == "conference_abstract":
            w["dbs"] = ["embase"] + (["wos"] if rng.random() < 0.5 else [])
        elif w["kind"] == "erratum":
            source = next(x for x in works if x["wid"] == w["related"])["dbs"]
            w["dbs"] = rng.sample(source, max(2, len(source) - 1)) if len(source) > 1 else list(source)
        elif w["journal"] == "mmb":
            w["dbs"] = ["pubmed", "embase", "scopus"]
        else:
            table = HOW_MANY[w["category"]]
            k = rng.choices(list(table), weights=list(table.values()))[0]
            pool = list(DATABASES)
            chosen = []
            while len(chosen) < k:
                pick = rng.choices(pool, weights=[DB_WEIGHTS[d] for d in pool])[0]
                pool.remove(pick)
                chosen.append(pick)
            w["dbs"] = chosen
        w["dbs"] = [d for d in DATABASES if d in w["dbs"]]


def assign_identifiers(works: list[dict], rng: random.Random, b: Builder) -> None:
    pmid, pmc = 90000001, 99000001
    for w in sorted(works, key=lambda x: (x["year"], x["month"], x["day"], x["wid"])):
        if "pubmed" in w["dbs"] and not w.get("pmid"):
            w["pmid"] = str(pmid)
            pmid += rng.randint(3, 900)
            if w["journal"] in OPEN_ACCESS and w["kind"] in ("article", "review") and rng.random() < 0.6:
                w["pmcid"] = f"PMC{pmc}"
                pmc += rng.randint(5, 3000)
    for w in works:
        w.setdefault("pmid", "")
        w.setdefault("pmcid", "")
        old, wos_stem = w["year"] <= 2015, "001" if w["year"] >= 2023 else "000"
        embase_range = (600000000, 649999999) if old else (2000000000, 2035999999)
        w["embase_id"] = b.unique(lambda r=embase_range: f"L{rng.randint(*r)}")
        w["wos_id"] = b.unique(lambda s=wos_stem: f"WOS:{s}{rng.randint(100000, 999999)}{rng.randint(0, 999):06d}")
        w["scopus_id"] = b.unique(lambda o=old: f"2-s2.0-{'84' if o else '85'}{rng.randint(100000000, 999999999)}")
        age = 2025 - w["year"]
        w["cited"] = 0 if w["kind"] in ("erratum", "conference_abstract") else int(rng.random() * (age + 1) * 9)
        w["epub"] = (w["year"], w["month"], w["day"])
        w.setdefault("keywords", author_keywords(w, rng))


KEYWORD_RULES = [("exosom", "Exosomes"), ("extracellular vesicle", "Extracellular vesicles"),
                 ("natural killer", "Natural killer cells"), ("NK", "NK cells"), ("CAR", "Chimeric antigen receptor"),
                 ("perforin", "Perforin"), ("granzyme", "Granzyme B"), ("FasL", "Fas ligand"), ("TRAIL", "TRAIL"),
                 ("paclitaxel", "Paclitaxel"), ("doxorubicin", "Doxorubicin"), ("siRNA", "siRNA"),
                 ("miR", "microRNA"), ("aptamer", "Aptamer"), ("RGD", "Targeted delivery"),
                 ("drug deliver", "Drug delivery"), ("melanoma", "Melanoma"), ("hepatocellular", "Hepatocellular carcinoma"),
                 ("breast", "Breast cancer"), ("glioblastoma", "Glioblastoma"), ("glioma", "Glioma"),
                 ("pancrea", "Pancreatic cancer"), ("lung", "Lung cancer"), ("ovarian", "Ovarian cancer"),
                 ("thyroid", "Thyroid cancer"), ("leuk", "Leukemia"), ("apoptosis", "Apoptosis"),
                 ("immunotherapy", "Immunotherapy"), ("biomarker", "Biomarker"), ("stem cell", "Stem cells"),
                 ("nanoparticle", "Nanoparticles"), ("fibrosis", "Liver fibrosis"), ("microenvironment", "Tumor microenvironment")]


def author_keywords(w: dict, rng: random.Random) -> list[str]:
    text = w["title"] + " " + w.get("abstract", "")
    found = [kw for needle, kw in KEYWORD_RULES if needle in text]
    if len(found) < 3:
        found += [t for t in w["title"].replace(":", "").split() if len(t) > 8][:2]
    found = list({kw.lower(): kw for kw in reversed(found)}.values())[::-1]
    rng.shuffle(found)
    return found[: rng.randint(3, 6)] if w["kind"] not in ("erratum", "editorial") else []


def assign_perturbations(works: list[dict], rng: random.Random) -> dict[tuple[str, str], list[str]]:
    """Pick the works whose record in one database differs from the others, and how."""
    perts: dict[tuple[str, str], list[str]] = {}
    multi = [w for w in works if len(w["dbs"]) >= 2]

    def free(w: dict, db: str, tag: str) -> bool:
        clash = {"no_doi", "doi_upper", "doi_url"} if "doi" in tag else set()
        return db in allowed_now and not clash & set(perts.get((w["wid"], db), []))

    def mark(candidates: list[dict], n: int, tag: str, allowed: tuple[str, ...]) -> None:
        nonlocal allowed_now
        allowed_now = allowed
        candidates = [w for w in candidates if any(free(w, d, tag) for d in w["dbs"])]
        for w in rng.sample(candidates, min(n, len(candidates))):
            db = rng.choice([d for d in w["dbs"] if free(w, d, tag)])
            perts.setdefault((w["wid"], db), []).append(tag)

    allowed_now: tuple[str, ...] = ()

    others = ("embase", "wos", "scopus")
    mark(multi, 7, "doi_upper", others)
    mark(multi, 5, "doi_url", ("embase",))
    mark(multi, 6, "no_doi", others)
    mark([w for w in multi if w["abstract"]], 8, "no_abstract", DATABASES)
    mark([w for w in multi if hyphen_variant(w["title"]) != w["title"]], 8, "title_hyphen", DATABASES)
    mark([w for w in multi if w["british"] and americanise(w["title"]) != w["title"]], 6, "title_us", DATABASES)
    mark([w for w in multi if title_case(w["title"]) != w["title"] and w["language"] == "eng"], 4,
         "title_case", ("embase", "wos"))
    mark([w for w in multi if any(len(t) == 1 for a in w["authors"] for t in a[1].split()[1:])], 6,
         "no_middle", others)
    epub = [w for w in multi if not w["real"] and "embase" in w["dbs"] and w["kind"] == "article"]
    for w in rng.sample(epub, 2):
        w["month"], w["day"] = 1, rng.randint(1, 28)
        if w["issue"].isdigit() and w["journal"] not in BMC_ISSUE:
            w["issue"] = "1"
        w["epub"] = (w["year"] - 1, 12, rng.randint(1, 20))
        perts.setdefault((w["wid"], "embase"), []).append("year_epub")
    press = [w for w in works if not w["real"] and w["year"] == 2024 and "scopus" in w["dbs"] and len(w["dbs"]) > 1]
    for w in rng.sample(press, 1):
        perts.setdefault((w["wid"], "scopus"), []).append("in_press")
    return perts


def view(w: dict, db: str, tags: list[str]) -> dict:
    """The work as database `db` shows it: its conventions plus this record's differences."""
    title, abstract = w["title"], w["abstract"]
    if "title_us" in tags:
        title = americanise(title)
    if "title_hyphen" in tags:
        title = hyphen_variant(title)
    if "title_case" in tags:
        title = title_case(title)
    if "no_abstract" in tags:
        abstract = ""
    if db in ("pubmed", "wos"):
        title, abstract = spell_greek(title), spell_greek(abstract)
        for old, new in PUBMED_MARKUP:
            title, abstract = title.replace(old, new), abstract.replace(old, new)
    else:
        for old, new in PLAIN_MARKUP:
            title, abstract = title.replace(old, new), abstract.replace(old, new)
    if db == "pubmed":
        title = f"[{title}]" if w["language"] != "eng" else title
        title += "" if title.endswith((".", "?", "!")) else "."
    doi = w["doi"]
    if "doi_upper" in tags:
        doi = doi.upper()
    if "doi_url" in tags:
        doi = "https://doi.org/" + doi
    if "no_doi" in tags:
        doi = ""
    year = w["epub"][0] if "year_epub" in tags else w["year"]
    return dict(title=title, abstract=abstract, doi=doi, year=year, keep_middle="no_middle" not in tags,
                in_press="in_press" in tags)


def short_range(start: str, end: str) -> str:
    """MEDLINE page ranges drop the leading digits the end shares with the start: 2833-2842 -> 2833-42."""
    if not (start.isdigit() and end.isdigit()) or len(start) != len(end):
        return f"{start}-{end}"
    i = 0
    while i < len(start) - 1 and start[i] == end[i]:
        i += 1
    return f"{start}-{end[i:]}"


MESH_RULES = [("exosom", "*Exosomes/metabolism"), ("extracellular vesicle", "*Extracellular Vesicles/metabolism"),
              ("natural killer", "*Killer Cells, Natural/immunology"), ("NK", "*Killer Cells, Natural/immunology"),
              ("melanoma", "Melanoma/*therapy"), ("hepatocellular", "Carcinoma, Hepatocellular/*therapy"),
              ("hepatocellular", "Liver Neoplasms/*therapy"), ("breast", "Breast Neoplasms/*therapy"),
              ("glioblastoma", "Glioblastoma/*therapy"), ("glioma", "Brain Neoplasms/*therapy"),
              ("pancrea", "Pancreatic Neoplasms/*therapy"), ("lung cancer", "Lung Neoplasms/*therapy"),
              ("lung adenocarcinoma", "Lung Neoplasms/*therapy"), ("lung tumour", "Lung Neoplasms/*therapy"),
              ("ovarian", "Ovarian Neoplasms/drug therapy"), ("thyroid", "Thyroid Carcinoma, Anaplastic/*therapy"),
              ("leuk", "Leukemia, Myeloid, Acute/*therapy"), ("mice", "Animals"), ("mice", "Mice"),
              ("nude mice", "Mice, Nude"), ("xenograft", "Xenograft Model Antitumor Assays"),
              ("paclitaxel", "Paclitaxel/*administration & dosage"),
              ("doxorubicin", "Doxorubicin/*administration & dosage"), ("perforin", "Perforin/metabolism"),
              ("granzyme", "Granzymes/metabolism"), ("Fas ligand", "Fas Ligand Protein/metabolism"),
              ("TRAIL", "TNF-Related Apoptosis-Inducing Ligand/metabolism"), ("microRNA", "MicroRNAs/genetics"),
              ("miR-", "MicroRNAs/genetics"), ("siRNA", "RNA, Small Interfering/genetics"),
              ("apoptosis", "Apoptosis"), ("cells", "Cell Line, Tumor"), ("women", "Female"),
              ("patients", "Middle Aged"), ("drug deliver", "Drug Delivery Systems"),
              ("immunotherapy", "Immunotherapy/methods"), ("biomarker", "Biomarkers, Tumor/blood")]
EMTREE_RULES = [("exosom", "exosome"), ("extracellular vesicle", "extracellular vesicle"),
                ("natural killer", "natural killer cell"), ("NK", "natural killer cell"),
                ("NK-92", "NK-92 cell line"), ("melanoma", "melanoma"), ("hepatocellular", "liver cell carcinoma"),
                ("breast", "breast cancer"), ("glioblastoma", "glioblastoma"), ("glioma", "glioma"),
                ("pancrea", "pancreas cancer"), ("lung cancer", "lung cancer"), ("lung adenocarcinoma", "lung adenocarcinoma"),
                ("lung tumo", "lung tumor"), ("ovarian", "ovary cancer"),
                ("thyroid", "anaplastic thyroid carcinoma"), ("leuk", "acute myeloid leukemia"),
                ("mice", "mouse"), ("mice", "animal experiment"), ("mice", "animal model"),
                ("nude mice", "nude mouse"), ("xenograft", "xenograft"), ("paclitaxel", "paclitaxel"),
                ("doxorubicin", "doxorubicin"), ("perforin", "perforin"), ("granzyme", "granzyme B"),
                ("Fas ligand", "Fas ligand"), ("TRAIL", "tumor necrosis factor related apoptosis inducing ligand"),
                ("IFN", "gamma interferon"), ("microRNA", "microRNA"), ("miR-", "microRNA"),
                ("siRNA", "small interfering RNA"), ("apoptosis", "apoptosis"), ("killing", "cytotoxicity"),
                ("killed", "cytotoxicity"), ("cytotox", "cytotoxicity"),
                ("cells", "in vitro study"), ("patients", "adult"), ("patients", "major clinical study"),
                ("drug deliver", "drug delivery system"), ("biomarker", "tumor marker"),
                ("immunotherapy", "cancer immunotherapy"), ("vaccin", "vaccination")]
KIND_EMTREE = {"article": "article", "review": "review", "editorial": "editorial", "erratum": "erratum",
               "conference_abstract": "conference abstract", "protocol": "article"}


STUDY_TERMS = {"in vitro study", "animal experiment", "animal model", "controlled study", "major clinical study",
               "Cell Line, Tumor", "Xenograft Model Antitumor Assays"}


def unique_terms(terms: list[str]) -> list[str]:
    """Case-insensitively distinct terms in alphabetical order (as Embase and Scopus list them)."""
    seen: dict[str, str] = {}
    for term in terms:
        seen.setdefault(term.lower(), term)
    return [seen[key] for key in sorted(seen)]


def indexing(w: dict, rules: list[tuple[str, str]]) -> list[str]:
    """Index terms found by simple rules in the title and abstract (study types only for studies)."""
    text = w["title"] + " " + w["abstract"]
    terms = []
    for needle, term in rules:
        if needle in text and term not in terms and (w["kind"] == "article" or term not in STUDY_TERMS):
            terms.append(term)
    return terms


# ---------------------------------------------------------------------------------------------
# PubMed MEDLINE (.nbib): "TAG - value", values from column 7, continuation lines indented 6.
NOT_MEDLINE = {"cancers", "oncoimm", "fcell"}


def nbib(tag: str, value: str) -> list[str]:
    lines = textwrap.wrap(value, 82, break_long_words=False, break_on_hyphens=False) or [""]
    return [f"{tag:<4}- {lines[0]}"] + ["      " + line for line in lines[1:]]


def ymd(date: tuple[int, int, int], sep: str = "") -> str:
    return f"{date[0]:04d}{sep}{date[1]:02d}{sep}{date[2]:02d}"


def shift(date: tuple[int, int, int], days: int) -> tuple[int, int, int]:
    year, month, day = date
    day += days
    while day > 28:
        day -= 28
        month += 1
        if month > 12:
            month, year = 1, year + 1
    return year, month, day


def pubmed_status(w: dict, rng: random.Random) -> str:
    if w["real"]:
        return "PubMed-not-MEDLINE" if w["journal"] in NOT_MEDLINE else "MEDLINE"
    if w["journal"] in NOT_MEDLINE:
        return "PubMed-not-MEDLINE"
    if w["year"] >= 2024:
        return rng.choice(["In-Process", "Publisher", "MEDLINE"])
    return "MEDLINE"


def pubmed_citation(w: dict) -> str:
    """The 'TA. 2021 Mar;12(3):45-56' form used by SO, EIN and EFR."""
    ta = JOURNALS[w["journal"]][1]
    pg = short_range(*w["pages"]) if len(w["pages"]) == 2 else (w["pages"][0] if w["pages"] else "")
    vol = w["volume"] + (f"({w['issue']})" if w["issue"] else "")
    return f"{ta}. {w['year']} {MONTHS[w['month'] - 1]};{vol}:{pg}".rstrip(":")


def pubmed_record(w: dict, tags: list[str], works: dict, rng: random.Random) -> str:
    j = JOURNALS[w["journal"]]
    v = view(w, "pubmed", tags)
    stat = pubmed_status(w, rng)
    pub = (w["year"], w["month"], w["day"])
    out = [f"PMID- {w['pmid']}", "OWN - NLM", f"STAT- {stat}"]
    if stat == "MEDLINE":
        out.append(f"DCOM- {ymd(shift(pub, rng.randint(20, 70)))}")
    out.append(f"LR  - {ymd(shift(pub, rng.randint(80, 400)))}")
    out += [f"IS  - {j[4]} (Electronic)", f"IS  - {j[4]} (Linking)"]
    if w["volume"]:
        out.append(f"VI  - {w['volume']}")
    if w["issue"]:
        out.append(f"IP  - {w['issue']}")
    weekly = w["journal"] in ("jimmunol", "blood", "canres", "bbrc")
    out.append(f"DP  - {w['year']} {MONTHS[w['month'] - 1]}" + (f" {w['day']}" if weekly else ""))
    out += nbib("TI", v["title"])
    if w["pages"]:
        out.append(f"PG  - {short_range(*w['pages']) if len(w['pages']) == 2 else w['pages'][0]}")
    if len(w["pages"]) == 1 and j[6]:
        out.append(f"LID - {w['pages'][0]}")
    if v["doi"]:
        out.append(f"LID - {v['doi']} [doi]")
    if v["abstract"]:
        out += nbib("AB", v["abstract"])
        if w["journal"] in ELSEVIER:
            out += nbib("CI", f"Copyright © {w['year']} Elsevier B.V. All rights reserved.")
        elif w["journal"] in OPEN_ACCESS and w["year"] >= 2019:
            out += nbib("CI", f"© {w['year']}. The Author(s).")
    for i, (surname, given) in enumerate(w["authors"]):
        out += [f"FAU - {surname}, {given}", f"AU  - {surname} {initials_compact(given)}"]
        if i == 0 and not w["real"]:
            out += nbib("AD", AFFILIATIONS[w["affil"]][0])
    out.append(f"LA  - {w['language']}")
    pts = {"article": ["Journal Article"], "review": ["Journal Article", "Review"],
           "editorial": ["Editorial"], "protocol": ["Journal Article"], "erratum": ["Published Erratum"]}[w["kind"]]
    if w["real"] and w["kind"] == "editorial":
        pts = ["Journal Article"]
    if w["kind"] == "article" and not w["real"] and rng.random() < 0.5:
        pts.append("Research Support, Non-U.S. Gov't")
    out += [f"PT  - {pt}" for pt in pts]
    if w["epub"] != pub or (j[6] and rng.random() < 0.8):
        out.append(f"DEP - {ymd(w['epub'])}")
    out += [f"PL  - {j[5]}", f"TA  - {j[1]}"] + nbib("JT", j[2])
    if stat == "MEDLINE":
        out.append("SB  - IM")
        for heading in sorted(w.get("mesh") or ["Humans"] + indexing(w, MESH_RULES), key=lambda t: t.lstrip("*")):
            out.append(f"MH  - {heading}")
    if w.get("erratum") and "pubmed" in works[w["erratum"]]["dbs"]:
        e = works[w["erratum"]]
        out += nbib("EIN", f"{pubmed_citation(e)}. doi: {e['doi']}. PMID: {e['pmid']}")
    if w["kind"] == "erratum":
        o = works[w["related"]]
        tail = f". PMID: {o['pmid']}" if o["pmid"] else ""
        out += nbib("EFR", f"{pubmed_citation(o)}. doi: {o['doi']}{tail}")
    if w["pmcid"]:
        out.append(f"PMC - {w['pmcid']}")
    if w["keywords"]:
        out.append("OTO - NOTNLM")
        out += [f"OT  - {kw}" for kw in w["keywords"]]
    if w["kind"] == "article" and rng.random() < 0.5:
        out += nbib("COIS", "The authors declare no competing interests.")
    entrez = shift(w["epub"], rng.randint(1, 6))
    out += [f"EDAT- {ymd(entrez, '/')} 06:00", f"MHDA- {ymd(shift(entrez, 30 if stat == 'MEDLINE' else 1), '/')} "
            f"{'06:01' if stat == 'MEDLINE' else '06:00'}", f"CRDT- {ymd(entrez, '/')} 05:{rng.randint(10, 59)}"]
    if w["kind"] in ("article", "review"):
        received = shift((w["epub"][0] - 1, w["epub"][1], w["epub"][2]), rng.randint(60, 200))
        out += [f"PHST- {ymd(received, '/')} 00:00 [received]",
                f"PHST- {ymd(shift(received, rng.randint(30, 90)), '/')} 00:00 [accepted]"]
    out += [f"PHST- {ymd(entrez, '/')} 06:00 [pubmed]", f"PHST- {ymd(entrez, '/')} 05:{rng.randint(10, 59)} [entrez]"]
    if v["doi"]:
        out.append(f"AID - {v['doi']} [doi]")
    if len(w["pages"]) == 1 and j[6]:
        out.append(f"AID - {w['pages'][0]} [pii]")
    pst = "aheadofprint" if stat == "Publisher" else ("epublish" if j[6] else "ppublish")
    out.append(f"PST - {pst}")
    so = pubmed_citation(w) + (f". doi: {v['doi']}" if v["doi"] else "") + "."
    if w["epub"] != pub:
        so += f" Epub {w['epub'][0]} {MONTHS[w['epub'][1] - 1]} {w['epub'][2]}."
    out += nbib("SO", so)
    return "\n".join(out) + "\n"


def write_pubmed(records: list[tuple[dict, list[str]]], works: dict, rng: random.Random) -> str:
    return "".join("\n" + pubmed_record(w, tags, works, rng) for w, tags in records)


# ---------------------------------------------------------------------------------------------
# Embase RIS as Embase.com exports it: UTF-8 with BOM, CRLF, "TAG  - value", "ER  -".
EMBASE_TYPES = {"article": ("JOUR", "Article"), "review": ("JOUR", "Review"), "editorial": ("JOUR", "Editorial"),
                "erratum": ("JOUR", "Erratum"), "conference_abstract": ("CONF", "Conference Abstract"),
                "protocol": ("JOUR", "Article")}


def embase_record(w: dict, tags: list[str], rng: random.Random) -> list[str]:
    j = JOURNALS[w["journal"]]
    v = view(w, "embase", tags)
    ty, m3 = EMBASE_TYPES[w["kind"]]
    if w["journal"] == "mmb":
        ty, m3 = "CHAP", "Chapter"
    out = [f"TY  - {ty}", f"M3  - {m3}", f"Y1  - {v['year']}"]
    if w["volume"]:
        out.append(f"VL  - {w['volume']}")
    if w["issue"]:
        out.append(f"IS  - {w['issue']}")
    if w["pages"]:
        out.append(f"SP  - {w['pages'][0]}")
        if len(w["pages"]) == 2:
            out.append(f"EP  - {w['pages'][1]}")
    out += [f"SN  - {j[4]}", f"JF  - {j[0]}", f"JO  - {j[3]}",
            f"UR  - http://www.embase.com/search/results?subaction=viewrecord&from=export&id={w['embase_id']}",
            f"U2  - {w['embase_id']}"]
    if w["pmid"]:
        out.append(f"C5  - {w['pmid']}")
    out.append("DB  - Embase")
    if w["pmid"]:
        out.append("DB  - Medline")
    added = shift(w["epub"], rng.randint(3, 40))
    out += [f"U3  - {ymd(added, '-')}", f"U4  - {ymd(shift(added, rng.randint(2, 20)), '-')}"]
    if v["doi"]:
        bare = v["doi"].replace("https://doi.org/", "")
        out += [f"L2  - http://dx.doi.org/{bare}", f"DO  - {v['doi']}"]
    keep = v["keep_middle"]
    out += [f"A1  - {surname} {initials_dotted(given, keep)}" for surname, given in w["authors"]]
    if not w["real"] and w["kind"] != "erratum":
        surname, given = w["authors"][-1]
        out.append(f"AD  - {initials_dotted(given, keep)} {surname}, {AFFILIATIONS[w['affil']][0].rstrip('.')}")
    out.append(f"T1  - {v['title']}")
    out.append(f"LA  - {'Chinese' if w['language'] == 'chi' else 'English'}")
    terms = ["human"] + indexing(w, EMTREE_RULES) + [KIND_EMTREE[w["kind"]]]
    if w["kind"] == "article":
        terms.append("controlled study")
    out += [f"KW  - {t}" for t in unique_terms(terms)]
    if v["abstract"]:
        text = v["abstract"]
        if w["journal"] in ELSEVIER:
            text += f" Copyright © {w['year']} Elsevier B.V. All rights reserved."
        out.append(f"N2  - {text}")
    out.append("ER  -")
    return out


def write_embase(records: list[tuple[dict, list[str]]], rng: random.Random) -> str:
    lines: list[str] = []
    for w, tags in records:
        lines += embase_record(w, tags, rng) + [""]
    return "\ufeff" + "\r\n".join(lines) + "\r\n"


# ---------------------------------------------------------------------------------------------
# Web of Science plain text: "XX value", continuation lines indented 3, "ER", blank line, "EF".
WOS_TYPES = {"article": "Article", "review": "Review", "editorial": "Editorial Material", "erratum": "Correction",
             "conference_abstract": "Meeting Abstract", "protocol": "Article"}
WOS_AREAS = {"Nanoscience & Nanotechnology": "Science & Technology - Other Topics",
             "Multidisciplinary Sciences": "Science & Technology - Other Topics",
             "Materials Science, Multidisciplinary": "Materials Science", "Engineering, Biomedical": "Engineering",
             "Medicine, Research & Experimental": "Research & Experimental Medicine",
             "Medicine, General & Internal": "General & Internal Medicine",
             "Biochemical Research Methods": "Biochemistry & Molecular Biology",
             "Neurosciences": "Neurosciences & Neurology",
             "Cardiac & Cardiovascular Systems": "Cardiovascular System & Cardiology"}
KEYWORDS_PLUS = ["EXTRACELLULAR VESICLES", "CELLS", "EXPRESSION", "DELIVERY", "MICROVESICLES", "CANCER",
                 "IN-VIVO", "ACTIVATION", "MECHANISMS", "IMMUNOTHERAPY", "CYTOTOXICITY", "RELEASE", "GROWTH",
                 "DENDRITIC CELLS", "NANOPARTICLES", "PROLIFERATION", "INHIBITION", "TUMOR MICROENVIRONMENT"]


def wos_field(tag: str, values: list[str] | str, wrap: bool = True) -> list[str]:
    if isinstance(values, str):
        values = textwrap.wrap(values, 72, break_long_words=False, break_on_hyphens=False) if wrap else [values]
    return [f"{tag} {values[0]}"] + [f"   {value}" for value in values[1:]] if values else []


def wos_record(w: dict, tags: list[str], rng: random.Random) -> list[str]:
    j = JOURNALS[w["journal"]]
    v = view(w, "wos", tags)
    keep = v["keep_middle"]
    au = [f"{s}, {initials_compact(g, keep)}" for s, g in w["authors"]]
    af = [f"{s}, {full_given(g, keep)}" for s, g in w["authors"]]
    out = ["PT J"] + wos_field("AU", au) + wos_field("AF", af) + wos_field("TI", v["title"])
    out += wos_field("SO", j[0].upper())
    if w["kind"] == "conference_abstract":
        name, place = CONFERENCES[w["journal"]]
        out += wos_field("CT", name) + [f"CY {MONTHS[w['month'] - 1].upper()} {w['year']}"] + wos_field("CL", place)
    out += [f"LA {'Chinese' if w['language'] == 'chi' else 'English'}", f"DT {WOS_TYPES[w['kind']]}"]
    if w["keywords"]:
        out += wos_field("DE", "; ".join(w["keywords"]))
    if w["kind"] in ("article", "review") and rng.random() < 0.85:
        out += wos_field("ID", "; ".join(rng.sample(KEYWORDS_PLUS, rng.randint(3, 8))))
    if v["abstract"]:
        out += wos_field("AB", v["abstract"])
    if not w["real"]:
        affil = AFFILIATIONS[w["affil"]][1]
        names = "; ".join(af)
        out += wos_field("C1", f"[{names}] {affil}")
        out += wos_field("RP", f"{au[-1]} (corresponding author), {affil}")
    cited = w["cited"] + rng.randint(-2, 3) if w["cited"] > 2 else w["cited"]
    out += [f"TC {cited}", f"Z9 {cited + rng.randint(0, 4) if cited else 0}",
            f"U1 {rng.randint(0, 12)}", f"U2 {rng.randint(5, 80)}"]
    publisher, city = PUBLISHERS.get(w["journal"], ("SPRINGER", "NEW YORK"))
    out += [f"PU {publisher}", f"PI {city}", f"SN {j[4]}"]
    j9 = j[1].upper().replace("(", "").replace(")", "")
    out += [f"J9 {j9}", f"JI {j[3]}"]
    weekly = w["journal"] in ("jimmunol", "blood", "canres", "bbrc")
    out.append(f"PD {MONTHS[w['month'] - 1].upper()}" + (f" {w['day']}" if weekly else ""))
    out.append(f"PY {w['year']}")
    if w["volume"]:
        out.append(f"VL {w['volume']}")
    if w["issue"]:
        if w["issue"].startswith("Suppl"):
            out.append(f"SU {w['issue'].replace('Suppl', '').strip()}")
        elif "Suppl" in w["issue"]:
            out += [f"IS {w['issue'].replace('Suppl', '').strip()}", "SU S"]
        else:
            out.append(f"IS {w['issue']}")
    if len(w["pages"]) == 2:
        out += [f"BP {w['pages'][0]}", f"EP {w['pages'][1]}"]
    elif w["pages"]:
        out.append(f"AR {w['pages'][0]}")
    if v["doi"]:
        out.append(f"DI {v['doi']}")
    if w["epub"] != (w["year"], w["month"], w["day"]):
        out.append(f"EA {MONTHS[w['epub'][1] - 1].upper()} {w['epub'][0]}")
    if len(w["pages"]) == 2 and w["pages"][0].isdigit():
        out.append(f"PG {int(w['pages'][1]) - int(w['pages'][0]) + 1}")
    else:
        out.append(f"PG {rng.randint(1, 2) if w['kind'] in ('erratum', 'conference_abstract') else rng.randint(8, 18)}")
    out.append(f"WC {j[8]}")
    out.append(f"SC {WOS_AREAS.get(j[8], j[8])}")
    out.append(f"GA {rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}"
               f"{rng.randint(0, 9)}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}")
    out.append(f"UT {w['wos_id']}")
    if w["pmid"]:
        out.append(f"PM {w['pmid']}")
    if w["journal"] in OPEN_ACCESS:
        out.append("OA gold" + (", Green Published" if w["pmcid"] else ""))
    out += ["DA 2025-08-13", "ER"]
    return out


def write_wos(records: list[tuple[dict, list[str]]], rng: random.Random) -> str:
    lines = ["FN Clarivate Analytics Web of Science", "VR 1.0"]
    for w, tags in records:
        lines += wos_record(w, tags, rng) + [""]
    return "\ufeff" + "\n".join(lines + ["EF"]) + "\n"


# ---------------------------------------------------------------------------------------------
# Scopus CSV as a 2024 export: UTF-8 with BOM, every field quoted, authors "Surname I.; ...".
SCOPUS_COLUMNS = ["Authors", "Author full names", "Author(s) ID", "Title", "Year", "Source title", "Volume",
                  "Issue", "Art. No.", "Page start", "Page end", "Page count", "Cited by", "DOI", "Link",
                  "Abstract", "Author Keywords", "Index Keywords", "PubMed ID", "Language of Original Document",
                  "Abbreviated Source Title", "Document Type", "Publication Stage", "Open Access", "Source", "EID"]
SCOPUS_TYPES = {"article": "Article", "review": "Review", "editorial": "Editorial", "erratum": "Erratum",
                "conference_abstract": "Conference Paper", "protocol": "Article"}


def scopus_copyright(w: dict) -> str:
    if w["journal"] in ELSEVIER:
        return f"© {w['year']} Elsevier B.V."
    if w["journal"] in ("cancers", "ijms", "nutr"):
        return f"© {w['year']} by the authors. Licensee MDPI, Basel, Switzerland."
    if w["journal"] in ("jev", "advsci", "small"):
        return f"© {w['year']} The Authors. Published by Wiley-VCH GmbH."
    if w["journal"] in OPEN_ACCESS:
        return f"© {w['year']}, The Author(s)."
    return ""


def scopus_row(w: dict, tags: list[str], rng: random.Random) -> list[str]:
    j = JOURNALS[w["journal"]]
    v = view(w, "scopus", tags)
    keep = v["keep_middle"]
    ids = [scopus_author_id(p) for p in w["authors"]]
    authors = "; ".join(f"{s} {initials_dotted(g, keep)}" for s, g in w["authors"])
    full = "; ".join(f"{s}, {full_given(g, keep)} ({i})" for (s, g), i in zip(w["authors"], ids))
    pages = () if v["in_press"] else w["pages"]
    art_no = pages[0] if len(pages) == 1 else ""
    start, end = (pages[0], pages[1]) if len(pages) == 2 else ("", "")
    count = str(int(end) - int(start) + 1) if start.isdigit() and end.isdigit() else ""
    bare = v["doi"]
    link = (f"https://www.scopus.com/inward/record.uri?eid={w['scopus_id']}"
            + (f"&doi={quote(bare.lower(), safe='')}" if bare else "")
            + f"&partnerID=40&md5={hashlib.md5(w['scopus_id'].encode()).hexdigest()}")
    abstract = v["abstract"]
    if abstract and scopus_copyright(w):
        abstract += " " + scopus_copyright(w)
    index_terms = [t.replace("*", "").split("/")[0] for t in indexing(w, EMTREE_RULES) + indexing(w, MESH_RULES)]
    index_terms = unique_terms(index_terms) if w["kind"] not in ("erratum", "editorial") else []
    oa = "All Open Access; Gold Open Access" if w["journal"] in OPEN_ACCESS else ""
    if oa and w["pmcid"]:
        oa += "; Green Open Access"
    return [authors, full, "; ".join(ids), v["title"], str(v["year"]), j[0],
            "" if v["in_press"] else w["volume"], "" if v["in_press"] else w["issue"], art_no, start, end, count,
            str(w["cited"]) if w["cited"] else "", bare, link, abstract or "[No abstract available]",
            "; ".join(w["keywords"]), "; ".join(dict.fromkeys(index_terms)), w["pmid"],
            "Chinese" if w["language"] == "chi" else "English", j[3], SCOPUS_TYPES[w["kind"]],
            "Article in press" if v["in_press"] else "Final", oa, "Scopus", w["scopus_id"]]


def write_scopus(records: list[tuple[dict, list[str]]], rng: random.Random) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(SCOPUS_COLUMNS)
    for w, tags in records:
        writer.writerow(scopus_row(w, tags, rng))
    return "\ufeff" + buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Answer key and works table.
KEY_COLUMNS = ["database", "file", "position", "work_id", "kind", "relevant_title_abstract", "included",
               "exclusion_reason_title_abstract", "exclusion_reason_full_text", "record_id", "differences"]
WORK_COLUMNS = ["work_id", "kind", "real", "title", "first_author", "authors", "year", "journal", "volume",
                "issue", "pages", "doi", "pmid", "pmcid", "language", "databases", "n_records",
                "relevant_title_abstract", "included", "exclusion_reason_title_abstract",
                "exclusion_reason_full_text", "related_work", "strategy", "tumour_type", "source_cell", "cargo",
                "targeting_ligand", "loading_method", "mechanism", "model", "route", "cell_line",
                "isolation_method", "size_method", "mean_size_nm", "positive_markers", "outcome_measure",
                "time_point", "unit", "treated_mean", "treated_sd", "treated_n", "control_mean", "control_sd",
                "control_n", "comparator", "note"]
RECORD_ID = {"pubmed": "pmid", "embase": "embase_id", "wos": "wos_id", "scopus": "scopus_id"}


def to_csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def work_row(w: dict) -> list:
    outcome = list(w.get("outcome") or [""] * 10)
    pages = "-".join(w["pages"])
    relevant = w.get("ta", 0)
    return [w["wid"], w["kind"], int(w["real"]), w["title"], w["authors"][0][0], "; ".join(f"{s}, {g}" for s, g in
            w["authors"]), w["year"], JOURNALS[w["journal"]][0], w["volume"], w["issue"], pages, w["doi"],
            w["pmid"], w["pmcid"], w["language"], ";".join(w["dbs"]), len(w["dbs"]), relevant, w["inc"],
            w["reason_ta"], w["reason_ft"], w.get("related", "") or w.get("erratum", ""),
            w.get("strategy", "n/a") if relevant else "n/a", w.get("tumour", "") if relevant else "",
            w.get("source", "") if relevant else "", w.get("cargo", ""), w.get("ligand", ""),
            w.get("loading", "not applicable" if w.get("strategy") == "native" else ""), w.get("mechanism", ""),
            w.get("model", ""), w.get("route", ""), w.get("cell_line", ""), w.get("isolation_method", ""),
            w.get("size_method", ""), w.get("mean_size_nm", ""), w.get("positive_markers", "")] + outcome + [
            FULLTEXT_NOTES.get(w.get("key", ""), "").format(related=w.get("related", ""))]


def generate(out: Path) -> dict[str, int]:
    rng = random.Random(SEED)
    works = build_works(rng)
    perts = assign_perturbations(works, rng)
    by_id = {w["wid"]: w for w in works}
    order = {}
    for db in DATABASES:
        members = [w for w in works if db in w["dbs"]]
        keys = {w["wid"]: rng.random() for w in members}
        if db == "pubmed":
            members.sort(key=lambda w: -int(w["pmid"]))
        elif db == "wos":
            members.sort(key=lambda w: keys[w["wid"]])
        else:
            members.sort(key=lambda w: (-view(w, db, perts.get((w["wid"], db), []))["year"], keys[w["wid"]]))
        order[db] = [(w, perts.get((w["wid"], db), [])) for w in members]
    texts = {"pubmed": write_pubmed(order["pubmed"], by_id, rng), "embase": write_embase(order["embase"], rng),
             "wos": write_wos(order["wos"], rng), "scopus": write_scopus(order["scopus"], rng)}
    out.mkdir(parents=True, exist_ok=True)
    for db, text in texts.items():
        (out / FILES[db]).write_bytes(text.encode("utf-8"))
    key_rows = [KEY_COLUMNS]
    for db in DATABASES:
        for position, (w, tags) in enumerate(order[db], start=1):
            key_rows.append([db, FILES[db], position, w["wid"], w["kind"], w.get("ta", 0), w["inc"], w["reason_ta"],
                             w["reason_ft"], w[RECORD_ID[db]], ";".join(tags)])
    (out / "answer_key.csv").write_bytes(to_csv(key_rows).encode("utf-8"))
    (out / "works.csv").write_bytes(to_csv([WORK_COLUMNS] + [work_row(w) for w in works]).encode("utf-8"))
    counts = {db: len(order[db]) for db in DATABASES}
    counts.update(works=len(works), duplicate_groups=sum(len(w["dbs"]) > 1 for w in works),
                  title_abstract=sum(w.get("ta", 0) for w in works), included=sum(w["inc"] for w in works))
    return counts


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    summary = generate(target)
    print(", ".join(f"{name}: {value}" for name, value in summary.items()))
