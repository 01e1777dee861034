/** A person's memberships as the organization step sees them. */
export interface OrganizationOption {
  orgId: string;
  orgName: string;
  role: string;
}

export type OrganizationDecision =
  | { kind: 'chosen'; option: OrganizationOption }
  | { kind: 'choose'; options: OrganizationOption[] }
  | { kind: 'refused'; description: string };

/**
 * Which organization a sign-in acts for. Pure, so every branch is tested directly:
 *  - the `organization` parameter, when given, must name one of the person's organizations
 *    (anything else is refused: an application must not get tokens for an org the user is not in);
 *  - else an organization the person submitted on the choice page, if it is one of theirs;
 *  - else the organization the existing grant acts for, while they are still a member;
 *  - else their only organization, or the choice page when they have several.
 */
export function decideOrganization(input: {
  options: OrganizationOption[];
  requested?: string;
  submitted?: string;
  current?: string;
}): OrganizationDecision {
  const find = (orgId: string | undefined) => (orgId ? input.options.find((option) => option.orgId === orgId) : undefined);
  if (input.requested !== undefined) {
    const option = find(input.requested);
    return option ? { kind: 'chosen', option } : { kind: 'refused', description: 'the user is not a member of the requested organization' };
  }
  if (input.options.length === 0) return { kind: 'refused', description: 'the user is not a member of any organization' };
  const picked = find(input.submitted) ?? find(input.current);
  if (picked) return { kind: 'chosen', option: picked };
  if (input.options.length === 1) return { kind: 'chosen', option: input.options[0]! };
  return { kind: 'choose', options: input.options };
}
