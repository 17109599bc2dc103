from perfcycle.org.models import Employee


def test_company_fixture_builds_the_reporting_tree(company):
    assert set(Employee.objects.subtree(company.manager).values_list("name", flat=True)) == {
        "Dan Direct",
        "Ivy Indirect",
    }
    assert company.indirect.ancestor_ids == [company.top.pk, company.manager.pk, company.direct.pk]
    assert company.hr.is_hr_admin
