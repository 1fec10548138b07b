"""The dashboard's entry point (`streamlit run`): page set-up and navigation, one page per question.

Each page is a script in `views/` that reads the published serving data through `orchestration.dashboard.data`.
"""

from __future__ import annotations

import streamlit as st

from orchestration.dashboard import PAGES, VIEWS

st.set_page_config(page_title="hubpulse", page_icon=":material/monitoring:", layout="wide",
                   menu_items={"About": "hubpulse: how the open-model world moves on the Hugging Face Hub."})
navigation = st.navigation(
    [st.Page(VIEWS / page.file, title=page.title, url_path=page.url_path, icon=page.icon, default=i == 0)
     for i, page in enumerate(PAGES)]
)
navigation.run()
