{#-
    The attribution of a snapshot's author namespace, the one home of the rule: its organisation (the aliases
    seed's organisation for a renamed namespace, else the namespace itself) and its region (the region table of
    the organisation, else of the former namespace, else `unclassified`). `attribution_joins(author)` adds the
    three joins to a query's `from`, over the caller's imports of the seed `organization_aliases` and of
    `int_organization_regions_overridden` (CTEs named `organization_aliases` and `organization_regions` unless
    given), as `organization_aliases`, `canonical_regions` and `legacy_regions`; `attributed_organization(author)`
    and `attributed_region()` are the columns over them. Read by int_model_snapshots_attributed (every snapshot
    row) and int_models_profiled (a model's latest author): an edit of the override file shows in both on the
    next build.
-#}
{% macro attribution_joins(author, aliases='organization_aliases', regions='organization_regions') -%}
    left join {{ aliases }} as organization_aliases
        on {{ author }} = organization_aliases.legacy_namespace
    left join {{ regions }} as canonical_regions
        on {{ attributed_organization(author) }} = canonical_regions.hf_org
    left join {{ regions }} as legacy_regions
        on {{ author }} = legacy_regions.hf_org
{%- endmacro %}


{% macro attributed_organization(author) -%}
    coalesce(organization_aliases.organization, {{ author }})
{%- endmacro %}


{% macro attributed_region() -%}
    coalesce(canonical_regions.region, legacy_regions.region, 'unclassified')
{%- endmacro %}
